"""The only door for roster writes: CSV import, an entry saved or deleted, a changed domain rule.

Every write here ends in `roster_changed`, which queues the re-check of the affiliation's claims once the
transaction commits (the roster's version, which workers key their copies on, moves with every write in
the model layer itself). The CSV import validates every row first (verification.roster_csv), then writes
all of it or nothing.
"""

from dataclasses import dataclass, field

from django.db import IntegrityError, transaction

from .models import Affiliation, RosterEntry, RosterImport
from .roster_csv import COLUMNS, RosterError, RosterRow, parse_roster
from .tasks import recheck_affiliation_claims

__all__ = ["COLUMNS", "RosterError", "delete_entries", "domains_changed", "import_roster", "save_entry"]
FIELDS = ["full_name", "email", "handles", "external_id", "name_key", "email_key"]


def roster_changed(affiliation_id: int, reason: str, user=None) -> None:
    """The affiliation's claims are checked again, on every petition, once this transaction commits."""
    recheck_affiliation_claims.delay_on_commit(affiliation_id, reason, user.pk if user else None)


def save_entry(entry: RosterEntry, user=None) -> None:
    """A roster entry added or edited by hand."""
    with transaction.atomic():
        entry.save()
        roster_changed(entry.affiliation_id, "a roster entry was edited", user)


def delete_entries(entries, user=None) -> int:
    """Remove roster entries (a queryset), then re-check the claims of each affiliation they were on."""
    with transaction.atomic():
        affiliations = set(entries.values_list("affiliation_id", flat=True).distinct())
        deleted, _ = entries.delete()
        for affiliation_id in sorted(affiliations):
            roster_changed(affiliation_id, "roster entries were deleted", user)
    return deleted


def domains_changed(affiliation: Affiliation, user=None) -> None:
    """The affiliation's email-domain rule was changed (saved by the caller)."""
    roster_changed(affiliation.pk, "its email domains changed", user)


@dataclass
class _Plan:
    create: list[RosterEntry] = field(default_factory=list)
    update: list[RosterEntry] = field(default_factory=list)
    remove: list[int] = field(default_factory=list)


def import_roster(
    affiliation: Affiliation, data: bytes, filename: str, *, replace: bool = False, user=None
) -> RosterImport:
    """Add (or with `replace`, make the roster exactly) the file's rows, then re-check the claims.

    A row updates the entry with its external id, else its email, else its name. Nothing is written
    unless every row is good and the resulting roster has no email or external id twice.
    """
    rows = parse_roster(data)
    try:
        with transaction.atomic():
            # One import of an affiliation's roster at a time: the plan is made from what is there now.
            Affiliation.objects.select_for_update().filter(pk=affiliation.pk).first()
            existing = list(RosterEntry.objects.filter(affiliation=affiliation).order_by("pk"))
            plan = _plan(affiliation, rows, existing, replace)
            RosterEntry.objects.filter(pk__in=plan.remove).delete()
            if plan.update:
                # Unique keys may move between entries (a swap): clear them first, then set them.
                cleared = [RosterEntry(pk=e.pk, email_key="", external_id="") for e in plan.update]
                RosterEntry.objects.bulk_update(cleared, ["email_key", "external_id"], batch_size=1000)
                RosterEntry.objects.bulk_update(plan.update, FIELDS, batch_size=1000)
            RosterEntry.objects.bulk_create(plan.create, batch_size=1000)
            record = RosterImport.objects.create(
                affiliation=affiliation,
                filename=filename[:255],
                replaced=replace,
                rows=len(rows),
                created=len(plan.create),
                updated=len(plan.update),
                removed=len(plan.remove),
                imported_by=user,
            )
            if plan.create or plan.update or plan.remove:
                roster_changed(affiliation.pk, f"roster import of {filename[:150]}", user)
    except IntegrityError as error:
        raise RosterError([f"the rows conflict with entries already on the roster ({error}); try again"])
    return record


def _plan(affiliation: Affiliation, rows: list[RosterRow], existing: list[RosterEntry], replace: bool) -> _Plan:
    by_external_id = {e.external_id: e for e in existing if e.external_id}
    by_email = {e.email_key: e for e in existing if e.email_key}
    by_name: dict[str, list[RosterEntry]] = {}
    for entry in existing:
        by_name.setdefault(entry.name_key, []).append(entry)
    plan, matched = _Plan(), set()

    def find(row: RosterRow) -> RosterEntry | None:
        entry = by_external_id.get(row.external_id) if row.external_id else None
        if entry is None and row.email_key:
            entry = by_email.get(row.email_key)
            if entry is not None and row.external_id and entry.external_id:
                entry = None  # the address is another member's (different external id)
        if entry is None:
            same_name = [e for e in by_name.get(row.name_key, []) if _compatible(e, row) and e.pk not in matched]
            entry = same_name[0] if len(same_name) == 1 else None
        return None if entry is None or entry.pk in matched else entry

    lines: dict[int, int] = {}  # id(entry) → the line of the row that states it
    for row in rows:
        entry = find(row)
        if entry is None:
            entry = RosterEntry(affiliation=affiliation)
            row.apply_to(entry)
            plan.create.append(entry)
        else:
            matched.add(entry.pk)
            if row.differs_from(entry):
                row.apply_to(entry)
                plan.update.append(entry)
        lines[id(entry)] = row.line
    if replace:
        plan.remove = [e.pk for e in existing if e.pk not in matched]
    problems = _conflicts([e for e in existing if e.pk not in plan.remove] + plan.create, lines)
    if problems:
        raise RosterError(problems)
    return plan


def _compatible(entry: RosterEntry, row: RosterRow) -> bool:
    """A same-name entry is this row's only if neither has a different email or external id."""
    return (not entry.email_key or not row.email_key or entry.email_key == row.email_key) and (
        not entry.external_id or not row.external_id or entry.external_id == row.external_id
    )


def _conflicts(final: list[RosterEntry], lines: dict[int, int]) -> list[str]:
    """Emails and external ids the roster would hold twice, reported at the file's rows that cause them."""
    problems: list[tuple[int, str]] = []
    for label, attr, shown in (("email", "email_key", "email"), ("external_id", "external_id", "external_id")):
        owners: dict[str, RosterEntry] = {}
        for entry in sorted(final, key=lambda e: id(e) in lines):
            value = getattr(entry, attr)
            if not value:
                continue
            other = owners.setdefault(value, entry)
            if other is entry:
                continue
            where = f"line {lines[id(other)]}" if id(other) in lines else f"the roster's entry {other.full_name!r}"
            problems.append(
                (
                    lines[id(entry)],
                    f"line {lines[id(entry)]}: {label} {getattr(entry, shown)} is also on {where}"
                    " (give the same external_id to update it, or import with --replace)",
                )
            )
    return [problem for _, problem in sorted(problems)]
