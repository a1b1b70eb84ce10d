"""The petition as the signing POST reads it: kept by each process for KEPT_SECONDS.

Reading the petition (with its current text version) was an eighth of a signing's CPU and one of its five
queries, for a row that changes a few times in its life. So each process keeps what `public_petition` found,
per slug, for a few seconds; a change saved in this process forgets it at once (front.apps, with the kept pages).

What a copy a few seconds old can and cannot do:
- whether the petition accepts signatures is decided again by the database, in the signing's own statement
  (signatures.upsert): a petition closed in another process takes no signature, even from an old copy;
- an unknown number for the text version the signer saw is looked up (SignatureForm.clean_version), so a new
  version is never lost; the affiliations offered are read by the form's own field, fresh;
- the title shown on the "check your email" page may be the previous one for those seconds.

Unknown slugs and drafts are not kept (their 404 is asked again). The copies are shared by a process's threads:
they are read, never changed. The memory is bounded (KEPT_LIMIT petitions, then it starts afresh).
"""

import time

from petitions.models import Petition

from .views.pages import public_petition

KEPT_SECONDS = 5.0
KEPT_LIMIT = 256

_kept: dict[str, tuple[float, Petition]] = {}  # slug → (time.monotonic() until which it is used, the petition)


def signing_petition(slug: str) -> Petition:
    """The public petition for a signing POST, as read at most KEPT_SECONDS ago by this process; 404 otherwise."""
    now = time.monotonic()
    found = _kept.get(slug)
    if found is not None and found[0] > now:
        return found[1]
    petition = public_petition(slug)
    if len(_kept) >= KEPT_LIMIT:
        _kept.clear()
    _kept[slug] = (now + KEPT_SECONDS, petition)
    return petition


def forget(slug: str | None = None) -> None:
    """Read this petition (or, without a slug, every petition) again at its next signing."""
    if slug is None:
        _kept.clear()
    else:
        _kept.pop(slug, None)
