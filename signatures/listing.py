"""The public list of signers: confirmed, consenting, newest first, paginated by key (never OFFSET)."""

from django.db.models import QuerySet

from petitions.models import Petition

from .models import Signature

PAGE_SIZE = 50


class BadCursor(ValueError):
    pass


def public_signers(petition: Petition, affiliation: str = "", verification: str = "") -> QuerySet:
    signers = Signature.objects.filter(petition=petition, status=Signature.Status.CONFIRMED, public=True)
    if affiliation:
        signers = signers.filter(affiliation__slug=affiliation)
    if verification:
        signers = signers.filter(verification=verification)
    return signers.select_related("affiliation").order_by("-id")


def page_after(signers: QuerySet, cursor: str | None, size: int = PAGE_SIZE) -> tuple[list[Signature], int | None]:
    """One page of signers after `cursor` (the last id seen), and the cursor of the next page."""
    if cursor:
        if not (cursor.isascii() and cursor.isdigit()) or not 0 < int(cursor) < 2**63:
            raise BadCursor(cursor)
        signers = signers.filter(id__lt=int(cursor))
    page = list(signers[: size + 1])
    if len(page) > size:
        return page[:size], page[size - 1].pk
    return page, None
