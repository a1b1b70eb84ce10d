"""The public list of signers: confirmed, consenting, newest confirmation first, paginated by key (never OFFSET).

The order is (confirmed_at, id), newest first, which only the `signature_public_order` index (or, filtered by
affiliation, `signature_public_by_claim`) yields: no plan PostgreSQL could pick walks the primary key through
other petitions' newer rows. The cursor stays the last id seen; its row gives the (confirmed_at, id) to
continue below (a signer confirmed again meanwhile moves to the top, as a new signer would).
"""

from contextlib import contextmanager

from django.conf import settings
from django.db import connection, transaction
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
        # By id, read first: an equality to a constant is what lets the index give the order (a join or a
        # subquery would leave a sort).
        affiliations = Signature._meta.get_field("affiliation").related_model.objects
        affiliation_id = affiliations.filter(slug=affiliation).values_list("pk", flat=True).first()
        if affiliation_id is None:
            return signers.none()
        signers = signers.filter(affiliation_id=affiliation_id)
    if verification:
        signers = signers.filter(verification=verification)
    return signers.select_related("affiliation", "evidence").order_by("-confirmed_at", "-id")


def first(signers: QuerySet, limit: int) -> list[Signature]:
    """The first `limit` of these signers, newest first, with their affiliation and evidence.

    Their ids come from the list's index alone: the query that picks them runs with sorting disabled, so the
    one plan left is a walk of `signature_public_order` (or `signature_public_by_claim`) that stops after
    `limit` rows. Neither "another index, then sort" (what stale statistics make look cheap when a petition
    went from 0 to 100,000 signatures since the last ANALYZE) nor a backward walk of the primary key through
    other petitions' newer rows can be chosen. Then only those rows are read, with their related rows.
    """
    ids_query = signers.order_by("-confirmed_at", "-id").values_list("pk", flat=True)[:limit]
    with ordered_by_index():
        ids = list(ids_query)
    rows = Signature.objects.select_related("affiliation", "evidence").in_bulk(ids)
    return [rows[pk] for pk in ids if pk in rows]


@contextmanager
def ordered_by_index():
    """On PostgreSQL, no sort for the queries inside (set for this transaction only, then restored)."""
    if connection.vendor != "postgresql":
        yield
        return
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('enable_sort'), set_config('enable_sort', 'off', true)")
        before = cursor.fetchone()[0]
        try:
            yield
        finally:
            cursor.execute("SELECT set_config('enable_sort', %s, true)", [before])


def page_after(signers: QuerySet, cursor: str | None, size: int | None = None) -> tuple[list[Signature], int | None]:
    """One page of signers after `cursor` (the last id seen), and the cursor of the next page."""
    size = size or page_size()
    page = first(after(signers, cursor), size + 1)
    if len(page) > size:
        return page[:size], page[size - 1].pk
    return page, None


def after(signers: QuerySet, cursor: str | None) -> QuerySet:
    """The signers listed after the one whose id is `cursor` (all of them without one); BadCursor if malformed."""
    if not cursor:
        return signers
    if not (cursor.isascii() and cursor.isdigit() and len(cursor) <= 19) or not 0 < int(cursor) <= MAX_ID:
        raise BadCursor(cursor)
    table = Signature._meta.db_table
    return signers.extra(  # noqa: S610 (a row comparison the ORM cannot write)
        where=[
            f'("{table}"."confirmed_at", "{table}"."id") < '  # noqa: S608 (the table's name, the id bound)
            f'(SELECT seen.confirmed_at, seen.id FROM "{table}" seen WHERE seen.id = %s)'
        ],
        params=[int(cursor)],
    )
