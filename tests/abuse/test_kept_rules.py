"""What each process keeps of the operators' rules (abuse.rules): a signing reads them from memory, a change made
in the admin applies to the next signing, and a change made by another process within RULES_TTL seconds."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from abuse import rules
from abuse.models import ChallengeSetting, Domain, Parked
from signatures.models import Signature

pytestmark = pytest.mark.django_db


def reads_of(table: str, captured) -> int:
    return sum(f'FROM "{table}"' in query["sql"] for query in captured.captured_queries)


def test_a_second_signing_reads_neither_the_domain_rules_nor_the_challenge_setting(signer, letter):
    with CaptureQueriesContext(connection) as first:
        signer.sign(letter, email="ada@studio.example")
    assert reads_of("abuse_domain", first) == reads_of("abuse_challengesetting", first) == 1
    # Whatever the next signing's domain: what is kept does not depend on the domains asked about.
    with CaptureQueriesContext(connection) as second:
        assert signer.sign(letter, email="grace@elsewhere.example").status_code == 200
    assert reads_of("abuse_domain", second) == reads_of("abuse_challengesetting", second) == 0
    assert Signature.objects.count() == 2


def test_a_domain_an_operator_blocks_parks_the_very_next_signature(signer, letter):
    signer.sign(letter, email="ada@catchall.example")
    Domain.objects.create(name="catchall.example", state=Domain.State.BLOCKED)  # as the admin saves it
    assert "Check your email" in signer.sign(letter, email="bot@catchall.example").content.decode()
    assert Parked.objects.get().reason == Parked.Reason.BLOCKED_DOMAIN
    Domain.objects.get().delete()
    signer.sign(letter, email="grace@catchall.example")
    assert set(Signature.objects.values_list("email", flat=True)) == {"ada@catchall.example", "grace@catchall.example"}


def test_a_challenge_an_operator_forces_applies_to_the_very_next_signature(signer, letter):
    assert signer.sign(letter, email="ada@example.org").status_code == 200
    setting = ChallengeSetting.objects.create(petition=letter, always=True)
    assert signer.sign(letter, email="grace@example.org").status_code == 400
    setting.always = False
    setting.save()
    assert signer.sign(letter, email="grace@example.org").status_code == 200


def test_a_rule_changed_by_another_process_applies_within_the_ttl(signer, letter, monkeypatch):
    signer.sign(letter, email="ada@catchall.example")
    # Another process's change: no signal reaches this one (an update() sends none either).
    Domain.objects.bulk_create([Domain(name="catchall.example", state=Domain.State.BLOCKED)])
    now = rules.time.monotonic()
    monkeypatch.setattr(rules.time, "monotonic", lambda: now + rules.RULES_TTL + 0.1)
    signer.sign(letter, email="bot@catchall.example")
    assert Parked.objects.get().reason == Parked.Reason.BLOCKED_DOMAIN
    assert not Signature.objects.filter(email="bot@catchall.example").exists()


def test_a_rule_on_a_parent_domain_covers_its_subdomains_but_not_the_top_level(db):
    Domain.objects.create(name="catchall.example", state=Domain.State.THROTTLED)
    Domain.objects.create(name="example", state=Domain.State.BLOCKED)  # never matched: a bare top-level domain
    assert rules.domain_rule("mx.Catchall.example") == Domain.State.THROTTLED
    assert rules.domain_rule("other.example") is None
