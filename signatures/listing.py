"""The public list of signers: confirmed, consenting, newest first, paginated by key (never OFFSET)."""

from django.conf import settings
from django.db.models import QuerySet

from petitions.models import Petition

from .models import Signature

PAGE_SIZE = 50
MAX_ID = 2**63 - 1


class BadCursor(ValueError):
    pass


def page_size() -> int:
    """PAGE_SIZE, unless the SIGNERS_PAGE_SIZE setting says otherwise (tests keep pages small)."""
    return getattr(settings, "SIGNERS_PAGE_SIZE", PAGE_SIZE)


# A claim a moderator rejected is never listed by name: such signatures still count (and "claimed" includes
# them), but the public list and API leave them out, so no page says "this named person's claim was refused".
PUBLIC_VERIFICATIONS = [value for value in Signature.Verification.values if value != Signature.Verification.REJECTED]


def public_signers(petition: Petition, affiliation: str = "", verification: str = "") -> QuerySet:
    signers = Signature.objects.filter(petition=petition, status=Signature.Status.CONFIRMED, public=True).exclude(
        verification=Signature.Verification.REJECTED
    )
    if affiliation:
        signers = signers.filter(affiliation__slug=affiliation)
    if verification:
        signers = signers.filter(verification=verification)
    return signers.select_related("affiliation", "evidence").order_by("-id")


def page_after(signers: QuerySet, cursor: str | None, size: int | None = None) -> tuple[list[Signature], int | None]:
    """One page of signers after `cursor` (the last id seen), and the cursor of the next page."""
    size = size or page_size()
    if cursor:
        if not (cursor.isascii() and cursor.isdigit() and len(cursor) <= 19) or not 0 < int(cursor) <= MAX_ID:
            raise BadCursor(cursor)
        signers = signers.filter(id__lt=int(cursor))
    page = list(signers[: size + 1])
    if len(page) > size:
        return page[:size], page[size - 1].pk
    return page, None
