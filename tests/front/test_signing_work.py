"""Signing does the least work a request must do (issue 9): a fixed number of queries, the same for a new and a
known address, and one Redis round trip for every rate limit, the challenge's one-use check included."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from redis.connection import AbstractConnection

from abuse import limits, proof
from tests.support.factories import make_signature
from tests.support.signer import form

pytestmark = pytest.mark.django_db

# One statement, atomic by itself (no BEGIN, no COMMIT): it checks the petition is open, stores or restates the
# signature, owes its email and writes its source unless it has one (signatures.upsert). The petition and the
# operators' rules are read from memory (front.kept_petitions, abuse.rules: the process's first signing reads them,
# then one every few seconds).
QUERIES_PER_SIGNING = 1


class RedisRoundTrips:
    """Counts what redis-py sends to the server, one send per round trip (one command, or a whole pipeline),
    by wrapping the real connection class: the commands still reach the real Redis."""

    def __init__(self, monkeypatch):
        self.sent: list[bytes] = []
        original = AbstractConnection.send_packed_command

        def send_packed_command(connection, command, check_health=True):
            chunks = command if isinstance(command, list | tuple) else [command]
            self.sent.append(b"".join(bytes(chunk) for chunk in chunks))
            return original(connection, command, check_health)

        monkeypatch.setattr(AbstractConnection, "send_packed_command", send_packed_command)

    def __len__(self) -> int:
        return len(self.sent)


@pytest.fixture
def signer(client, django_capture_on_commit_callbacks):
    """Signs through the test client; what the request queues for after its commit is left to the worker."""

    class Signer:
        def sign(self, letter, **overrides):
            with django_capture_on_commit_callbacks(execute=False):
                return client.post(f"/petitions/{letter.slug}/sign/", form(**overrides))

    return Signer()


@pytest.fixture(autouse=True)
def counting_script_known_to_redis():
    """Redis keeps the limits' script from its first EVAL until it restarts: as in production, not the first."""
    client = limits._redis_client()
    assert client is not None, "these tests need REDIS_URL (the real cache)"
    client.script_load(limits._SCRIPT)


def sign(signer, letter, **overrides):
    with CaptureQueriesContext(connection) as queries:
        response = signer.sign(letter, **overrides)
    assert response.status_code == 200
    return [q["sql"] for q in queries.captured_queries]


def test_a_signing_post_runs_the_same_few_queries_for_a_new_and_a_known_address(signer, letter):
    make_signature(letter, email="known@example.org", confirmed=True)
    signer.sign(letter, email="first@example.org")  # the process reads the petition and the operators' rules
    new = sign(signer, letter, email="new@example.org")
    known = sign(signer, letter, email="known@example.org")
    assert len(new) == len(known) == QUERIES_PER_SIGNING
    assert [q.split()[0] for q in new] == [q.split()[0] for q in known]  # the same statements, in the same order


def test_a_signing_post_validates_the_affiliation_without_reading_it_again(signer, letter, artists):
    signer.sign(letter, email="first@example.org")  # the process reads the petition and the operators' rules
    queries = sign(signer, letter, email="ada@example.org", affiliation=artists.slug)
    reads = [q for q in queries if q.startswith("SELECT") and "verification_affiliation" in q.split(" FROM ")[1][:40]]
    assert len(reads) == 1  # the form's choice, from the petition's own affiliations; the model does not re-check
    assert len(queries) == QUERIES_PER_SIGNING + 1


def test_a_signing_post_counts_every_limit_in_one_redis_round_trip(signer, letter, monkeypatch):
    trips = RedisRoundTrips(monkeypatch)
    sign(signer, letter, email="ada@example.org")
    assert len(trips) == 1 and b"EVALSHA" in trips.sent[0] and b"redis.call" not in trips.sent[0]  # not the script


def test_a_redis_server_that_forgot_the_script_is_sent_it_once(signer, letter, monkeypatch):
    limits._redis_client().script_flush()  # as after a restart
    trips = RedisRoundTrips(monkeypatch)
    sign(signer, letter, email="ada@example.org")
    assert len(trips) == 2 and b"EVALSHA" in trips.sent[0] and b"redis.call('INCR'" in trips.sent[1]
    usage = limits.count([], letter.pk)  # one more attempt on the petition: its rate was 1 (the EVAL), now 2
    assert usage.available and usage.counts["challenge_rate"] == 2
    sign(signer, letter, email="grace@example.org")
    assert len(trips) == 4 and b"EVALSHA" in trips.sent[3]


def test_a_solved_challenge_is_marked_used_in_the_same_round_trip(signer, letter, monkeypatch):
    challenge = proof.issue(letter.pk)
    answer = {"challenge": challenge, "nonce": proof.solve(challenge)}
    trips = RedisRoundTrips(monkeypatch)
    sign(signer, letter, email="ada@example.org", **answer)
    assert len(trips) == 1
    # Used: the same solution again does not pass where the challenge is required.
    monkeypatch.setattr("django.conf.settings.SIGN_CHALLENGE_ALWAYS", True)
    again = signer.sign(letter, email="grace@example.org", **answer)
    assert again.status_code == 400
    fresh = proof.issue(letter.pk)
    assert signer.sign(letter, email="grace@example.org", challenge=fresh, nonce=proof.solve(fresh)).status_code == 200
