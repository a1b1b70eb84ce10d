"""A chunk of claims is checked in one transaction: one read of the roster for the chunk, bulk writes, the same
outcomes as one claim after another, a constant number of queries, and nothing lost when one claim fails."""

import psycopg
import pytest
from django.db import DatabaseError, connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from signatures import counts, services
from signatures.models import CountDelta, Signature
from tests.support.counting import real_counts, stored_counts
from tests.support.factories import make_affiliation, make_petition, make_roster_entry, make_signature, make_user
from tests.support.queued import settled
from verification import challenges, claims, matching, rosters, tasks
from verification.models import Evidence, RosterChallenge, RosterEntry

pytestmark = pytest.mark.django_db

V = Signature.Verification
M = Evidence.Method
MISSING = 10**9


def unchecked(petition, affiliation, full_name: str, email: str, **fields) -> Signature:
    """A confirmed claim whose check has not run yet (its task waits for a commit that never comes here)."""
    return make_signature(petition, full_name=full_name, email=email, affiliation=affiliation, **fields)


def state(signature: Signature) -> tuple[str, str, str, int]:
    """(status, verification, evidence method, evidence rows) as stored now."""
    signature = Signature.objects.select_related("evidence").get(pk=signature.pk)
    method = signature.evidence.method if signature.evidence else ""
    return signature.status, signature.verification, method, Evidence.objects.filter(signature=signature).count()


def open_challenge(signature: Signature) -> RosterChallenge:
    return RosterChallenge.objects.open().get(signature=signature)


def test_a_chunk_of_claims_reads_the_roster_addresses_once_and_decides_each_as_alone():
    artists = make_affiliation("bulk-artists")
    petition = make_petition(affiliations=[artists])
    listed = []
    for n in range(6):
        make_roster_entry(artists, f"Member Number{n}", f"member{n}@roster.example")
        listed.append(make_signature(petition, email=f"member{n}@roster.example", affiliation=artists))
    stranger = make_signature(petition, full_name="Nobody Known", email="nobody@else.example", affiliation=artists)
    given = make_signature(
        petition, full_name="Member Number5", email="other@else.example", affiliation=artists,
        roster_email="member5@roster.example",
    )  # fmt: skip
    ids = [s.pk for s in [*listed, stranger, given]]
    with CaptureQueriesContext(connection) as captured:
        claims.verify_claims(ids)
    by_address = [q["sql"] for q in captured.captured_queries if 'FROM "verification_rosterentry"' in q["sql"]]
    by_address = [sql for sql in by_address if '"email_key"' in sql.partition(" WHERE ")[2]]
    assert len(by_address) == 1
    verdicts = dict(Signature.objects.filter(pk__in=ids).values_list("pk", "verification"))
    assert [verdicts[s.pk] for s in listed] == ["verified"] * 6
    assert verdicts[stranger.pk] == "unverified"
    assert verdicts[given.pk] == "pending"  # a challenge went to the roster address the signer gave


@pytest.fixture
def mixed(artists, letter):
    """A chunk of every kind of claim a re-check meets, each in the state the product's own flows leave it in.

    Every claim a worker must leave alone would change if checked: the roster has the address, or not the name.
    """
    moderator = make_user("moderator@example.net")
    for name, address in [
        ("Vera Listed", "vera@roster.example"),
        ("Nadia Candidate", "nadia@roster.example"),
        ("Rita Rejected", "rita@roster.example"),
        ("Dan Disputed", "dan@roster.example"),
        ("Kate Kept", "kate@roster.example"),
        ("Wendy Withdrawn", "wendy@roster.example"),
        ("Anna Anonymised", "anna@roster.example"),
    ]:
        make_roster_entry(artists, name, address)
    leaving = make_roster_entry(artists, "Gary Leaving", "gary@roster.example")
    c = {
        "vera": unchecked(letter, artists, "Vera Listed", "vera@roster.example"),
        "nadia": unchecked(letter, artists, "Nadia Candidate", "nadia@home.example"),
        "stranger": unchecked(letter, artists, "Pat Quinn", "pat@home.example"),
        "rejected": unchecked(letter, artists, "Rita Rejected", "rita@roster.example"),
        "approved": unchecked(letter, artists, "Alan Approved", "alan@home.example"),
        "disputed": unchecked(letter, artists, "Dan Disputed", "dan@home.example"),
        "kept": unchecked(letter, artists, "Kate Kept", "kate@home.example"),
        "gone": unchecked(letter, artists, "Gary Leaving", "gary@home.example"),
        "withdrawn": unchecked(letter, artists, "Wendy Withdrawn", "wendy@roster.example"),
        "anonymised": unchecked(letter, artists, "Anna Anonymised", "anna@roster.example"),
    }
    claims.reject_claim(c["rejected"], moderator)
    claims.approve_claim(c["approved"], moderator, note="known to the coordinator")
    for name, confirmed in [("disputed", False), ("kept", True), ("gone", True)]:
        claims.verify_claim(c[name].pk)  # a challenge to the member's roster address, answered
        claims.answer_challenge(open_challenge(c[name]).pk, confirmed=confirmed)
    rosters.delete_entries(RosterEntry.objects.filter(pk=leaving.pk))
    services.withdraw(c["withdrawn"].pk)
    Signature.objects.filter(pk=c["anonymised"].pk).anonymise()
    return c


def test_a_mixed_chunk_gets_the_outcome_each_claim_gets_alone(mixed, letter):
    before = {name: state(signature) for name, signature in mixed.items()}
    assert before["gone"][1] == before["kept"][1] == V.VERIFIED
    assert before["disputed"][1] == V.DISPUTED

    to_send = claims.verify_claims([MISSING, *(s.pk for s in mixed.values())])

    after = {name: state(signature) for name, signature in mixed.items()}
    assert after["vera"] == ("confirmed", V.VERIFIED, M.EMAIL, 1)
    assert after["nadia"] == ("confirmed", V.PENDING, M.ROSTER_CHALLENGE, 1)
    assert after["stranger"] == ("confirmed", V.UNVERIFIED, M.NONE, 1)
    assert after["gone"] == ("confirmed", V.UNVERIFIED, M.NONE, before["gone"][3] + 1)
    assert Signature.objects.get(pk=mixed["gone"].pk).evidence.detail == (
        "revoked: “Gary Leaving” is no longer on the roster"
    )
    for untouched in ("rejected", "approved", "disputed", "kept", "withdrawn", "anonymised"):
        assert after[untouched] == before[untouched], untouched
    assert after["withdrawn"] == ("withdrawn", V.PENDING, "", 0)
    assert after["anonymised"] == ("confirmed", V.PENDING, "", 0)
    assert to_send == [open_challenge(mixed["nadia"]).pk]
    assert open_challenge(mixed["nadia"]).address == "nadia@roster.example"
    assert stored_counts(letter) == real_counts(letter)


def test_the_same_chunk_delivered_twice_records_nothing_new_and_counts_once(mixed, letter, artists):
    writers = make_affiliation("writers")
    other = make_petition(affiliations=[artists, writers])
    make_roster_entry(writers, "Kim Lee", "kim@press.example")
    elsewhere = [
        unchecked(other, writers, "Kim Lee", "kim@press.example"),
        unchecked(other, artists, "Vera Listed", "vera@roster.example"),
        unchecked(other, writers, "Nobody Known", "nobody@home.example"),
    ]
    ids = [s.pk for s in [*mixed.values(), *elsewhere]]

    first = claims.verify_claims(ids)
    trail = Evidence.objects.count()
    challenge_rows = list(RosterChallenge.objects.values_list("pk", "state").order_by("pk"))
    counted = stored_counts(letter), stored_counts(other)
    second = claims.verify_claims(list(reversed(ids)))

    assert second == first  # the challenge not sent yet is to be sent again, nothing more
    assert Evidence.objects.count() == trail
    assert list(RosterChallenge.objects.values_list("pk", "state").order_by("pk")) == challenge_rows
    assert (stored_counts(letter), stored_counts(other)) == counted
    assert stored_counts(letter) == real_counts(letter)
    assert stored_counts(other) == real_counts(other)
    assert stored_counts(other)["by_affiliation"] == {writers.pk: (2, 1), artists.pk: (1, 1)}
    assert not CountDelta.objects.exists()  # nobody else held the petitions: folded at once


@pytest.fixture
def refuse_evidence_for():
    """The database refuses the evidence of one signature (a trigger): a claim that cannot be recorded."""

    def refuse(signature_id: int) -> None:
        with connection.cursor() as cursor:
            cursor.execute(
                "CREATE FUNCTION pg_temp.refuse_evidence() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                f"IF NEW.signature_id = {int(signature_id)} THEN RAISE EXCEPTION 'this claim cannot be recorded'; "
                "END IF; RETURN NEW; END $$"
            )
            cursor.execute(
                "CREATE TRIGGER refuse_evidence BEFORE INSERT ON verification_evidence "
                "FOR EACH ROW EXECUTE FUNCTION pg_temp.refuse_evidence()"
            )

    return refuse


def test_a_claim_that_fails_in_the_chunk_costs_the_others_nothing(artists, letter, refuse_evidence_for):
    make_roster_entry(artists, "Vera Listed", "vera@roster.example")
    make_roster_entry(artists, "Nadia Candidate", "nadia@roster.example")
    vera = unchecked(letter, artists, "Vera Listed", "vera@roster.example")
    bad = unchecked(letter, artists, "Bad Claim", "bad@home.example")
    nadia = unchecked(letter, artists, "Nadia Candidate", "nadia@home.example")
    stranger = unchecked(letter, artists, "Pat Quinn", "pat@home.example")
    refuse_evidence_for(bad.pk)

    with pytest.raises(claims.ChunkIncomplete) as failed:
        claims.verify_claims([vera.pk, bad.pk, nadia.pk, stranger.pk])

    assert failed.value.failed == [bad.pk]
    assert failed.value.opened == [open_challenge(nadia).pk]
    assert state(vera)[1:] == (V.VERIFIED, M.EMAIL, 1)
    assert state(nadia)[1:] == (V.PENDING, M.ROSTER_CHALLENGE, 1)
    assert state(stranger)[1:] == (V.UNVERIFIED, M.NONE, 1)
    assert state(bad)[1:] == (V.PENDING, "", 0)
    assert stored_counts(letter) == real_counts(letter)


def test_the_task_sends_the_other_claims_challenges_then_fails(artists, letter, refuse_evidence_for, mailoutbox):
    make_roster_entry(artists, "Nadia Candidate", "nadia@roster.example")
    nadia = unchecked(letter, artists, "Nadia Candidate", "nadia@home.example")
    bad = unchecked(letter, artists, "Bad Claim", "bad@home.example")
    refuse_evidence_for(bad.pk)

    with settled(), pytest.raises(DatabaseError, match="this claim cannot be recorded"):
        tasks.verify_claims.apply(args=[[nadia.pk, bad.pk]])  # the first error, as the worker would log it

    assert state(nadia)[1] == V.PENDING
    assert [message.to for message in mailoutbox] == [["nadia@roster.example"]]


# fmt: off
FIRST = [
    "Alice", "Bruno", "Chiara", "Dmitri", "Elena", "Farid", "Greta", "Hamid", "Ingrid", "Jonas", "Keiko", "Lars",
    "Mirela", "Nikos", "Olga", "Pablo", "Quentin", "Rosa", "Stefan", "Tamar", "Ulrich", "Vesna", "Wanda", "Xavier",
    "Yusuf", "Zora", "Anselm", "Beatriz", "Cosimo", "Dagny", "Emeric", "Fenna", "Gideon", "Hedda", "Isidor",
    "Jorunn", "Kasimir", "Liesel", "Marek", "Nuala", "Osric", "Perpetua", "Radomir", "Sunniva", "Thaddeus",
    "Ursula", "Vittorio", "Wilhelmina", "Yolanda", "Zebedee", "Ambrose", "Brunhilde", "Casimir", "Desdemona",
    "Evander", "Florentyna", "Gwendolyn", "Horatio", "Ignatius", "Jacoba", "Leopold", "Magdalena", "Norberto",
    "Octavia", "Philippa", "Quirin"
]
LAST = [
    "Abernathy", "Bergström", "Castellano", "Drozdov", "Eriksen", "Fitzgerald", "Gallagher", "Hoffmann", "Iglesias",
    "Jankowski", "Kowalczyk", "Lindqvist", "Marchetti", "Novak", "Oyelaran", "Petrakis", "Quintero", "Rasmussen",
    "Schuster", "Takahashi", "Underhill", "Vasquez", "Whitcombe", "Xenakis", "Yamamoto", "Zielinski", "Achterberg",
    "Bonaventura", "Carmichael", "Delacroix", "Eisenhauer", "Fairweather", "Grünewald", "Haverkamp", "Ivanova",
    "Jablonski", "Kettering", "Lombardi", "Montgomery", "Nakamura", "Ostrowski", "Pemberton", "Radcliffe",
    "Sorensen", "Thorvaldsen", "Uccello", "Valentini", "Wainwright", "Yardley", "Zamorano", "Ashcombe", "Blackwood",
    "Cunningham", "Dunsmore", "Ellsworth", "Foxworthy", "Greenhalgh", "Hollingsworth", "Inglethorpe", "Jellicoe",
    "Kingsbury", "Lockwood", "Merriweather", "Northcott", "Oglethorpe", "Pennington", "Quartermaine"
]
# fmt: on


def chunk_of(petition, affiliation, n: int, start: int) -> list[int]:
    """n claims of each kind: at a roster address, a member's name from another address, a stranger; every
    name a different person's."""
    ids = []
    for k in range(start, start + n):
        member, named, stranger = (f"{FIRST[3 * k + j]} {LAST[3 * k + j]}" for j in range(3))
        make_roster_entry(affiliation, member, f"member{k}@roster.example")
        make_roster_entry(affiliation, named, f"named{k}@roster.example")
        ids.append(unchecked(petition, affiliation, member, f"member{k}@roster.example").pk)
        ids.append(unchecked(petition, affiliation, named, f"named{k}@home.example").pk)
        ids.append(unchecked(petition, affiliation, stranger, f"stranger{k}@home.example").pk)
    return ids


def test_a_chunk_costs_the_same_number_of_queries_whatever_its_size(artists, letter):
    small = chunk_of(letter, artists, 2, 0)
    large = chunk_of(letter, artists, 20, 2)
    artists.refresh_from_db()
    matching.roster_index(artists)  # this process's copy of the names, as a warm worker has it

    with CaptureQueriesContext(connection) as for_small:
        claims.verify_claims(small)
    with CaptureQueriesContext(connection) as for_large:
        claims.verify_claims(large)

    assert len(for_large) == len(for_small) <= 20
    outcomes = dict(Signature.objects.filter(pk__in=large).values_list("pk", "verification"))
    assert [outcomes[pk] for pk in large[:3]] == [V.VERIFIED, V.PENDING, V.UNVERIFIED]
    assert RosterChallenge.objects.open().filter(signature_id__in=large).count() == 20
    assert stored_counts(letter) == real_counts(letter)


def test_two_claims_of_a_chunk_naming_one_member_challenge_them_once(artists, letter):
    make_roster_entry(artists, "Nadia Candidate", "nadia@roster.example")
    first = unchecked(letter, artists, "Nadia Candidate", "nadia@home.example")
    second = unchecked(letter, artists, "Nadia Candidate", "n.candidate@else.example")

    claims.verify_claims([second.pk, first.pk])

    assert state(first)[1:3] == (V.PENDING, M.ROSTER_CHALLENGE)
    assert state(second)[1:3] == (V.NEEDS_REVIEW, M.NAME)
    assert Signature.objects.get(pk=second.pk).evidence.detail.startswith("no challenge could be sent")


def test_a_claim_settled_in_the_chunk_frees_its_members_challenge_for_the_next_claim(artists, letter):
    make_roster_entry(artists, "Nadia Candidate", "nadia@roster.example")
    first = unchecked(letter, artists, "Nadia Candidate", "nadia@home.example")
    claims.verify_claim(first.pk)
    earlier = open_challenge(first)
    second = unchecked(letter, artists, "Nadia Candidate", "n.candidate@else.example")
    make_roster_entry(artists, "Nadia C. Other", "nadia@home.example")  # first's own address is now listed

    claims.verify_claims([first.pk, second.pk])

    assert state(first)[1:3] == (V.VERIFIED, M.EMAIL)
    assert RosterChallenge.objects.get(pk=earlier.pk).state == RosterChallenge.State.CANCELLED
    assert state(second)[1:3] == (V.PENDING, M.ROSTER_CHALLENGE)
    assert open_challenge(second).address == "nadia@roster.example"


def test_a_challenge_a_concurrent_claim_opened_first_is_left_out_not_an_error(artists, letter):
    entry = make_roster_entry(artists, "Nadia Candidate", "nadia@roster.example")
    mine = unchecked(letter, artists, "Nadia Candidate", "nadia@home.example")
    theirs = unchecked(letter, artists, "Nadia Candidate", "n.candidate@else.example")
    plan = challenges.ChallengePlan([mine], [entry.pk])
    [planned] = plan.open(mine, [entry.pk])
    RosterChallenge.objects.create(  # committed by another worker between the plan's read and its write
        signature=theirs, petition=letter, roster_entry=entry, address=entry.email, expires_at=timezone.now()
    )

    plan.write()

    assert planned.pk is None
    assert list(RosterChallenge.objects.open().values_list("signature_id", flat=True)) == [theirs.pk]


@pytest.mark.django_db(transaction=True)
def test_a_chunk_parks_its_counter_changes_while_another_transaction_holds_the_letter(artists, letter):
    make_roster_entry(artists, "Vera Listed", "vera@roster.example")
    make_roster_entry(artists, "Kim Lee", "kim@roster.example")
    ids = [
        unchecked(letter, artists, "Vera Listed", "vera@roster.example").pk,
        unchecked(letter, artists, "Kim Lee", "kim@roster.example").pk,
        unchecked(letter, artists, "Pat Quinn", "pat@home.example").pk,
    ]  # committed, so their checks ran on confirmation: back to unchecked
    Signature.objects.filter(pk__in=ids).update(verification=V.PENDING, evidence=None, verified_at=None)
    counts.recount(letter)
    settings = connection.settings_dict
    with psycopg.connect(
        dbname=settings["NAME"], user=settings["USER"], host=settings["HOST"], port=settings["PORT"] or None
    ) as other:
        other.execute("SELECT 1 FROM petitions_petition WHERE id = %s FOR NO KEY UPDATE", [letter.pk])
        claims.verify_claims(ids)
        assert list(CountDelta.objects.values_list("affiliation_id", "claimed", "verified")) == [(artists.pk, 0, 2)]
    counts.fold(letter.pk)
    assert stored_counts(letter) == real_counts(letter) == {"confirmed": 3, "by_affiliation": {artists.pk: (3, 2)}}


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="the JSON-parameter writes are PostgreSQL's")
def test_the_chunks_bulk_writes_store_what_djangos_generic_path_stores(artists, letter, monkeypatch):
    """Evidence.objects.insert_all and Signature.objects.store_verdicts send PostgreSQL one JSON parameter; the
    embedded database goes through bulk_create and bulk_update. Both must store the same rows, awkward text,
    empty values and microseconds included."""
    entry = make_roster_entry(artists, "Zoë O'Brien-Łukasiewicz", "zoe@roster.example")
    moderator = make_user("keeper@example.org")
    verified_at = timezone.now().replace(microsecond=123456)
    awkward = "quote \" back\\slash, 'single', tab\t, newline\n, 表, 😀, %s %(x)s"

    def write(signature_ids: list[int], vendor: str) -> list[tuple]:
        signatures = list(Signature.objects.filter(pk__in=signature_ids).order_by("pk"))
        rows = [
            Evidence(
                signature=signatures[0], verdict=V.VERIFIED, method=M.EMAIL, roster_entry=entry,
                roster_name=entry.full_name, shown_name=awkward[:200], score=0.8125,
                candidates=[{"entry": entry.pk, "name": awkward, "score": 0.9, "address": True, "frequency": 2}],
                detail=awkward, warnings=["lookalike: ‘ｅxample.com’"], worker="task@host (id)",
            ),
            Evidence(signature=signatures[1], verdict=V.UNVERIFIED, method=M.NONE, decided_by=moderator),
        ]  # fmt: skip
        for signature, row in zip(signatures, rows, strict=True):
            signature.verification = row.verdict
            signature.verified_at = verified_at if row.verdict == V.VERIFIED else None
        with monkeypatch.context() as patch:
            patch.setattr(connection, "vendor", vendor)
            Evidence.objects.insert_all(rows)
            for signature, row in zip(signatures, rows, strict=True):
                signature.evidence = row
            Signature.objects.store_verdicts(signatures)
        assert [row.pk for row in rows] == sorted(row.pk for row in rows)
        for row in rows:  # what each object was given is what was stored
            assert Evidence.objects.get(pk=row.pk).created_at == row.created_at
        fields = ["verdict", "method", "roster_entry", "roster_name", "shown_name", "score", "candidates", "detail"]
        fields += ["warnings", "decided_by", "worker"]
        stored = Evidence.objects.filter(pk__in=[row.pk for row in rows]).order_by("pk").values_list(*fields)
        verdicts = Signature.objects.filter(pk__in=signature_ids).order_by("pk")
        return [
            *stored,
            *(
                (s.verification, s.evidence.verdict, s.evidence.worker, s.verified_at)
                for s in verdicts.select_related("evidence")
            ),
        ]

    fast = write([unchecked(letter, artists, "A", f"a{n}@else.example").pk for n in range(2)], "postgresql")
    generic = write([unchecked(letter, artists, "B", f"b{n}@else.example").pk for n in range(2)], "sqlite")
    assert fast == generic
    assert fast[0][4] == awkward[:200] and fast[0][7] == awkward
    assert fast[2][3] == verified_at and fast[3][3] is None


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="the JSON-parameter writes are PostgreSQL's")
def test_a_chunks_new_challenges_are_stored_alike_from_json_and_from_a_values_list(artists, letter, monkeypatch):
    """ChallengePlan.write sends PostgreSQL one JSON parameter; the embedded database a VALUES list. Both store the
    same rows (address, who asked, both times to the microsecond), each challenge given its own row's id, and the
    rows inserted in entry order."""
    moderator = make_user("asker@example.org")
    entries = [make_roster_entry(artists, f"Named Person{n}", f"o'named.{n}@roster.example") for n in range(3)]

    def open_for(email: str, vendor: str) -> list[tuple]:
        signature = unchecked(letter, artists, "Named Person", email)
        plan = challenges.ChallengePlan([signature], [entry.pk for entry in entries])
        plan._now = plan._now.replace(microsecond=654321)
        opened = plan.open(signature, [entries[2].pk, entries[0].pk, entries[1].pk], requested_by=moderator)
        with monkeypatch.context() as patch:
            patch.setattr(connection, "vendor", vendor)
            plan.write()
        assert [c.pk for c in sorted(opened, key=lambda c: c.roster_entry_id)] == sorted(c.pk for c in opened)
        stored = RosterChallenge.objects.in_bulk([c.pk for c in opened])
        assert [stored[c.pk].roster_entry_id for c in opened] == [entries[2].pk, entries[0].pk, entries[1].pk]
        fields = ["roster_entry_id", "address", "state", "requested_by_id", "created_at", "expires_at", "sent_at"]
        rows = RosterChallenge.objects.filter(signature=signature).order_by("roster_entry_id").values_list(*fields)
        RosterChallenge.objects.filter(signature=signature).update(state=RosterChallenge.State.CANCELLED)
        return list(rows)

    fast = open_for("first@else.example", "postgresql")
    generic = open_for("second@else.example", "sqlite")
    assert fast == generic
    assert [row[1] for row in fast] == [entry.email for entry in entries]
    assert {row[3] for row in fast} == {moderator.pk} and fast[0][4].microsecond == 654321


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="plans are PostgreSQL's")
def test_a_chunks_roster_read_uses_the_roster_address_index_however_many_addresses(artists, letter):
    """PostgreSQL cannot tell that an array of more than 100 addresses holds no empty one, so the read must say so
    itself, or the partial index unique_roster_email is unusable and every roster is read row by row."""
    make_roster_entry(artists, "Listed Member", "listed@roster.example")
    signatures = [unchecked(letter, artists, "Some One", f"signer{n}@else.example") for n in range(150)]
    signatures = list(Signature.objects.filter(pk__in=[s.pk for s in signatures]).select_related("evidence"))
    with CaptureQueriesContext(connection) as captured:
        matching.RosterAddresses.for_claims(signatures)
    [read] = [q["sql"] for q in captured.captured_queries if 'FROM "verification_rosterentry"' in q["sql"]]
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # on a table this small, the planner would read it all
        cursor.execute("EXPLAIN (FORMAT JSON) " + read)
        [[plan]] = cursor.fetchall()
    nodes, todo = [], [plan[0]["Plan"]]
    while todo:
        node = todo.pop()
        nodes.append(node)
        todo += node.get("Plans", [])
    reads = {node.get("Index Name") or node["Node Type"] for node in nodes if "Relation Name" in node}
    reads |= {node["Index Name"] for node in nodes if node["Node Type"] == "Bitmap Index Scan"}
    assert "Seq Scan" not in reads
    assert "unique_roster_email" in reads
