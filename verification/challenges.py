"""Opening and closing roster challenges (the rows). Recording what an answer means is verification.claims' job.

Limits, so that nobody can use the product to spam a member: one open challenge per roster entry and
petition (a database constraint), and at most CHALLENGE_DAILY_CAP_PER_ENTRY challenges a day per entry
across petitions. They expire after CHALLENGE_MAX_AGE.
"""

import json
from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.db import connection
from django.db.models import F, Q
from django.utils import timezone

from signatures import tokens
from signatures.models import Signature
from undersigned.lookups import AnyOf

from .models import RosterChallenge, RosterEntry

State = RosterChallenge.State
PURPOSE = "challenge"


class ChallengeClosed(Exception):
    """The link's challenge was answered, expired, or cancelled: it can do nothing any more."""


def open_challenges(signature: Signature, entry_ids: list[int], requested_by=None) -> list[RosterChallenge]:
    """Challenges to these entries' roster addresses for this signature (those already open for it included).

    An entry is skipped when it has no address, is on another affiliation's roster, already has an open
    challenge for another signature on this petition, or reached its daily cap. The caller holds the
    signature's lock and sends the new ones (tasks.send_roster_challenges) after the commit.
    """
    plan = ChallengePlan([signature], entry_ids)
    opened = plan.open(signature, entry_ids, requested_by=requested_by)
    plan.write()
    return [challenge for challenge in opened if challenge.pk is not None]


class ChallengePlan:
    """The roster challenges of a chunk of claims: decided claim after claim, in the caller's order, exactly as
    `open_challenges` and `cancel_open` would one claim at a time, from three reads for the whole chunk (the
    entries' addresses, the open challenges that matter, how many each entry was sent today); then written at
    once (`write`). The caller holds the claims' row locks, in one transaction.
    """

    def __init__(self, signatures: list[Signature], entry_ids: Iterable[int]):
        wanted = set(entry_ids)
        self._entries: dict[int, tuple[int, str]] = {}
        if wanted:
            rows = RosterEntry.objects.filter(AnyOf(F("pk"), wanted)).exclude(email="").order_by()
            self._entries = {
                pk: (affiliation_id, email)
                for pk, affiliation_id, email in rows.values_list("pk", "affiliation_id", "email")
            }
        # Every open challenge of these claims (a claim settled now closes them, freeing their entries for the
        # claims after it), and every open one on these entries for these petitions (one per entry and petition).
        # With no entry to challenge, none of that matters: nothing is read.
        self._open: dict[tuple[int, int], RosterChallenge] = {}  # (entry, petition): the open challenge
        self._slots: dict[int, set[tuple[int, int]]] = {}  # signature: its slots in _open (for `cancel`)
        self._today: dict[int, int] = {}
        if self._entries:
            wanted = Q(AnyOf(F("signature_id"), [signature.pk for signature in signatures]))
            petitions = {signature.petition_id for signature in signatures}
            wanted |= Q(AnyOf(F("roster_entry_id"), list(self._entries))) & Q(petition_id__in=petitions)
            for challenge in RosterChallenge.objects.open().filter(wanted).order_by():
                self._take((challenge.roster_entry_id, challenge.petition_id), challenge)
            self._today = RosterChallenge.objects.sent_to_entries_today(list(self._entries))
        self._cancelled: set[int] = set()
        self._now = timezone.now()

    def open(self, signature: Signature, entry_ids: list[int], requested_by=None) -> list[RosterChallenge]:
        """The challenges this claim gets (see `open_challenges`): those already open for it, and new ones, which
        have a pk once `write` inserted them (none if a concurrent claim took the entry meanwhile)."""
        opened = []
        for entry_id in dict.fromkeys(entry_ids):
            affiliation_id, address = self._entries.get(entry_id, (None, ""))
            if affiliation_id != signature.affiliation_id:
                continue
            slot = (entry_id, signature.petition_id)
            current = self._open.get(slot)
            if current is not None:
                if current.signature_id == signature.pk:
                    opened.append(current)
                continue
            if self._today.get(entry_id, 0) >= settings.CHALLENGE_DAILY_CAP_PER_ENTRY:
                continue
            self._today[entry_id] = self._today.get(entry_id, 0) + 1
            challenge = RosterChallenge(
                signature=signature,
                petition_id=signature.petition_id,
                roster_entry_id=entry_id,
                address=address,
                requested_by=requested_by,
                created_at=self._now,
                expires_at=self._now + timedelta(seconds=settings.CHALLENGE_MAX_AGE),
            )
            self._take(slot, challenge)
            opened.append(challenge)
        return opened

    def _take(self, slot: tuple[int, int], challenge: RosterChallenge) -> None:
        self._open[slot] = challenge
        self._slots.setdefault(challenge.signature_id, set()).add(slot)

    def cancel(self, signature: Signature) -> None:
        """The claim is settled: its open challenges close (`cancel_open`), and their entries are free again."""
        self._cancelled.add(signature.pk)
        for slot in self._slots.pop(signature.pk, ()):
            if self._open.get(slot) is not None and self._open[slot].signature_id == signature.pk:
                del self._open[slot]

    def write(self) -> None:
        """Close the settled claims' challenges, then insert the new ones in one statement, in entry order (so two
        chunks never wait for each other's entries in opposite orders). A row whose entry and petition a
        concurrent claim took meanwhile is left out (the unique rule decides, ON CONFLICT DO NOTHING): its
        challenge keeps no pk."""
        if self._cancelled:
            RosterChallenge.objects.open().filter(AnyOf(F("signature_id"), sorted(self._cancelled))).update(
                state=State.CANCELLED
            )
        new = sorted((slot, c) for slot, c in self._open.items() if c.pk is None)
        if not new:
            return
        with connection.cursor() as cursor:
            cursor.execute(*_insert_statement(new))
            inserted = {(entry_id, petition_id): pk for pk, entry_id, petition_id in cursor.fetchall()}
        for slot, challenge in new:
            challenge.pk = inserted.get(slot)
            challenge.state = State.OPEN


def _insert_statement(new: list[tuple[tuple[int, int], RosterChallenge]]) -> tuple[str, list]:
    """ChallengePlan.write's INSERT … ON CONFLICT DO NOTHING RETURNING id, roster_entry_id, petition_id, for these
    rows in this order. PostgreSQL: the rows as one JSON parameter, read back in order (as Evidence.objects.
    insert_all does: the driver would otherwise splice eight placeholders a row into the statement one by one);
    elsewhere a VALUES list."""
    table = RosterChallenge._meta.db_table
    columns = "signature_id, petition_id, roster_entry_id, address, state, requested_by_id, created_at, expires_at"
    returning = "ON CONFLICT DO NOTHING RETURNING id, roster_entry_id, petition_id"
    if connection.vendor == "postgresql":
        document = json.dumps(
            [
                [c.signature_id, c.petition_id, c.roster_entry_id, c.address, c.requested_by_id]
                + [c.created_at.isoformat(), c.expires_at.isoformat()]
                for _, c in new
            ]
        )
        sql = (
            f"INSERT INTO {table} ({columns}) "  # noqa: S608 (names; values bound)
            "SELECT (r.value->>0)::bigint, (r.value->>1)::bigint, (r.value->>2)::bigint, r.value->>3, %s, "
            "(r.value->>4)::bigint, (r.value->>5)::timestamptz, (r.value->>6)::timestamptz "
            f"FROM jsonb_array_elements(%s::jsonb) WITH ORDINALITY AS r ORDER BY r.ordinality {returning}"
        )
        return sql, [State.OPEN, document]
    adapt = connection.ops.adapt_datetimefield_value
    params = []
    for _, c in new:
        params += [c.signature_id, c.petition_id, c.roster_entry_id, c.address, State.OPEN, c.requested_by_id]
        params += [adapt(c.created_at), adapt(c.expires_at)]
    rows = ", ".join(["(%s, %s, %s, %s, %s, %s, %s, %s)"] * len(new))
    return f"INSERT INTO {table} ({columns}) VALUES {rows} {returning}", params  # noqa: S608 (names; values bound)


def cancel_open(signature: Signature, keep: RosterChallenge | None = None) -> int:
    """The claim was settled: its other open challenges are closed, so their links do nothing."""
    challenges = RosterChallenge.objects.open().filter(signature=signature)
    if keep is not None:
        challenges = challenges.exclude(pk=keep.pk)
    return challenges.update(state=State.CANCELLED)


def token(challenge: RosterChallenge) -> str:
    return tokens.make_token(challenge.pk, PURPOSE)


def read(token_text: str) -> int:
    """The challenge id of a valid, unexpired link (tokens.BadToken otherwise)."""
    challenge_id, _ = tokens.read_token(token_text, PURPOSE, max_age=settings.CHALLENGE_MAX_AGE)
    return challenge_id


def shown(token_text: str) -> RosterChallenge:
    """The challenge a link names, for its page (changes nothing). ChallengeClosed if it can do nothing."""
    challenge = (
        RosterChallenge.objects.select_related("signature__petition", "signature__affiliation", "roster_entry")
        .filter(pk=read(token_text))
        .first()
    )
    if challenge is None or not challenge.is_open:
        raise ChallengeClosed(token_text)
    return challenge
