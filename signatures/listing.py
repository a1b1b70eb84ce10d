"""The public list of signers: confirmed, consenting, newest confirmation first, paginated by key (never OFFSET).

The order is (confirmed_at, id), newest first, which only the `signature_public_order` index (or, filtered by
affiliation, `signature_public_by_claim`) yields: no plan PostgreSQL could pick walks the primary key through
other petitions' newer rows. The cursor stays the last id seen; its row gives the (confirmed_at, id) to
continue below (a signer confirmed again meanwhile moves to the top, as a new signer would).
"""

from django.conf import settings
from django.db.models import QuerySet, Subquery

from petitions.models import Petition

from .models import Signature

PAGE_SIZE = 50
MAX_ID = 2**63 - 1


class BadCursor(ValueError):
    pass


def page_size() -> int:
    """PAGE_SIZE, unless the SIGNERS_PAGE_SIZE setting says otherwise (tests keep pages small)."""
    return getattr(settings, "SIGNERS_PAGE_SIZE", PAGE_SIZE)


def public_signers(petition: Petition, affiliation: str = "", verification: str = "") -> QuerySet:
    signers = Signature.objects.filter(petition=petition, status=Signature.Status.CONFIRMED, public=True)
    if affiliation:
        # By id from a scalar subquery, not a join: an equality the index can order by.
        affiliations = Signature._meta.get_field("affiliation").related_model.objects
        signers = signers.filter(affiliation_id=Subquery(affiliations.filter(slug=affiliation).values("pk")[:1]))
    if verification:
        signers = signers.filter(verification=verification)
    return signers.select_related("affiliation", "evidence").order_by("-confirmed_at", "-id")


def page_after(signers: QuerySet, cursor: str | None, size: int | None = None) -> tuple[list[Signature], int | None]:
    """One page of signers after `cursor` (the last id seen), and the cursor of the next page."""
    size = size or page_size()
    if cursor:
        if not (cursor.isascii() and cursor.isdigit() and len(cursor) <= 19) or not 0 < int(cursor) <= MAX_ID:
            raise BadCursor(cursor)
        table = Signature._meta.db_table
        signers = signers.extra(  # noqa: S610 (a row comparison the ORM cannot write)
            where=[
                f'("{table}"."confirmed_at", "{table}"."id") < '  # noqa: S608 (the table's name, the id bound)
                f'(SELECT seen.confirmed_at, seen.id FROM "{table}" seen WHERE seen.id = %s)'
            ],
            params=[int(cursor)],
        )
    page = list(signers[: size + 1])
    if len(page) > size:
        return page[:size], page[size - 1].pk
    return page, None
