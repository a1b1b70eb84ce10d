"""The demo's story, end to end, through the real pieces: the public form, SMTP, a Celery worker, PostgreSQL.

A letter is published with the sora-alpha-artist affiliation and a 300-member roster; 16 people sign
claiming it; each confirms from the emailed link; the worker checks every claim and sends roster challenges
to the roster addresses of name-only candidates; the members answer from their own mailboxes (one "this was
me", one "this wasn't me"); the counts, statuses, evidence and the organisers' CSV come out exactly as the
roster and its members support.
"""

import csv
import io
import re

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command

from demo import story as demo
from petitions.models import Petition
from signatures.models import AffiliationTally, Signature
from teams.scope import MODERATOR_PERMISSIONS, MODERATORS_GROUP
from tests.support.factories import make_user
from tests.support.mailbox import text_of
from verification.models import Affiliation, Evidence, Recheck, RosterChallenge

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

CONFIRM_LINK = re.compile(r"http://testserver(/signatures/confirm/[^\s/]+/)")
CHALLENGE_LINK = re.compile(r"http://testserver(/signatures/challenge/[^\s/]+/)")


def body_of(message) -> str:
    return text_of(message)


def publish_demo_letter(tmp_path) -> tuple[Petition, Affiliation]:
    affiliation = Affiliation.objects.create(**demo.AFFILIATION)
    roster = tmp_path / "roster.csv"
    roster.write_bytes(demo.roster_csv())
    out = io.StringIO()
    call_command("import_roster", affiliation.slug, str(roster), stdout=out)
    assert "Imported 300 rows" in out.getvalue()
    letter = Petition.objects.create(**demo.LETTER)
    letter.affiliations.add(affiliation)
    letter.publish()
    return letter, affiliation


def sign_and_confirm(client, smtp_sink, letter, signer) -> None:
    response = client.post(
        f"/petitions/{letter.slug}/sign/",
        {
            "full_name": signer.full_name,
            "email": signer.email,
            "affiliation": demo.AFFILIATION["slug"],
            "role": signer.role,
            "organisation": signer.organisation,
            "comment": signer.comment,
            "public": "on",
        },
    )
    assert response.status_code == 200, response.content
    [message] = smtp_sink.wait_for(signer.email)
    link = CONFIRM_LINK.search(body_of(message))
    assert link, body_of(message)
    assert client.post(link.group(1)).status_code == 200


def answer_challenge_as_the_member(client, smtp_sink, roster_address: str, answer: str) -> None:
    """Open the email at the roster address, look at the page (as a mail scanner would too), press a button."""
    [message] = smtp_sink.wait_for(roster_address)
    link = CHALLENGE_LINK.search(body_of(message))
    assert link, body_of(message)
    state = {c.pk: c.state for c in RosterChallenge.objects.all()}
    assert client.get(link.group(1)).status_code == 200
    assert client.head(link.group(1)).status_code == 200
    assert {c.pk: c.state for c in RosterChallenge.objects.all()} == state  # looking changes nothing
    assert client.post(link.group(1), {"answer": answer}).status_code == 200


def test_sixteen_claims_are_checked_by_the_worker_and_the_members_answer(
    client, celery_worker, smtp_sink, wait_until, tmp_path
):
    letter, affiliation = publish_demo_letter(tmp_path)
    signers = demo.signers()
    assert len(signers) == 16

    for signer in signers:
        sign_and_confirm(client, smtp_sink, letter, signer)
    challenged = {"yes": demo.MEMBER_BY_NAME["email"], "no": demo.MEMBER_IMPERSONATED["email"]}
    for answer, roster_address in challenged.items():
        answer_challenge_as_the_member(client, smtp_sink, roster_address, answer)
    wait_until(lambda: not Signature.objects.filter(petition=letter, verification="pending").exists())
    # challenges go to the roster's addresses, never to the address a signer typed
    assert not [m for signer in signers for m in smtp_sink.to(signer.email) if CHALLENGE_LINK.search(body_of(m))]

    letter.refresh_from_db()
    assert letter.signature_count == 16
    tally = AffiliationTally.objects.get(petition=letter, affiliation=affiliation)
    assert (tally.claimed, tally.verified, tally.disputed) == (16, 3, 1)
    outcome = {
        s.email: (s.verification, s.evidence.method)
        for s in Signature.objects.filter(petition=letter).select_related("evidence")
    }
    assert outcome == {signer.email: (signer.expected, signer.method) for signer in signers}

    by_email = Signature.objects.get(petition=letter, email=signers[0].email)
    evidence = by_email.evidence
    assert evidence.roster_entry.full_name == "Ana Castillo"
    assert evidence.score == 1.0
    assert evidence.worker.startswith("verification.tasks.check_owed_claims@")
    assert evidence.decided_by is None
    assert by_email.verified_at is not None

    by_challenge = Signature.objects.select_related("evidence").get(petition=letter, email=signers[1].email)
    assert by_challenge.verified_at is not None
    assert by_challenge.evidence.roster_name == "José Núñez-Ortega"
    assert [c["name"] for c in by_challenge.evidence.candidates] == ["José Núñez-Ortega"]
    impostor = Signature.objects.select_related("evidence").get(petition=letter, email=signers[4].email)
    assert "said it wasn't them" in impostor.evidence.detail
    # one decision per claim, plus the answers to the two challenges
    assert Evidence.objects.filter(signature__petition=letter).count() == 18

    api = client.get(f"/api/petitions/{letter.slug}/").json()
    assert api["counts"] == {
        "confirmed": 16,
        "by_affiliation": {"sora-alpha-artist": {"claimed": 16, "verified": 3, "disputed": 1}},
    }

    out = io.StringIO()
    call_command("export_signatures", letter.slug, stdout=out)
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert [(r["full_name"], r["method"], r["roster_name"], r["version"]) for r in rows] == [
        ("Ana Castillo", "email", "Ana Castillo", "1"),
        ("jose nunez ortega", "roster_challenge", "José Núñez-Ortega", "1"),
        ("Mika Laine", "email_domain", "", "1"),
    ]
    assert all(r["verification"] == "verified" and r["verified_at"] for r in rows)

    client.force_login(make_user("organiser@example.org", superuser=True))
    download = client.get(f"/admin/petitions/{letter.slug}/export.csv")
    assert download.status_code == 200
    assert b"".join(download.streaming_content).decode() == out.getvalue()


def test_a_roster_change_rechecks_claims_but_keeps_moderator_decisions(
    client, celery_worker, smtp_sink, wait_until, tmp_path
):
    letter, affiliation = publish_demo_letter(tmp_path)
    unknown = next(s for s in demo.signers() if s.expected == "unverified")
    reviewed = next(s for s in demo.signers() if s.expected == "needs_review")
    for signer in (unknown, reviewed):
        sign_and_confirm(client, smtp_sink, letter, signer)
    wait_until(lambda: not Signature.objects.filter(petition=letter, verification="pending").exists())
    moderator = make_user("moderator@example.org")
    from verification.claims import reject_claim

    reject_claim(Signature.objects.get(email=reviewed.email), moderator, note="not the same person")

    roster = tmp_path / "roster-v2.csv"
    roster.write_text(f"full_name,email\n{unknown.full_name},{unknown.email}\n{reviewed.full_name},{reviewed.email}\n")
    call_command("import_roster", affiliation.slug, str(roster), "--replace", stdout=io.StringIO())

    recognised = wait_until(
        lambda: (
            Signature.objects.filter(email=unknown.email, verification="verified").select_related("evidence").first()
        )
    )
    assert recognised.evidence.method == "email"
    progress = wait_until(lambda: Recheck.objects.filter(reason="roster import of roster-v2.csv").first())
    progress = wait_until(lambda: Recheck.objects.filter(pk=progress.pk, finished_at__isnull=False).first())
    assert (progress.total, progress.done, progress.affiliation) == (1, 1, affiliation)  # the rejected claim stays out
    refused = Signature.objects.select_related("evidence").get(email=reviewed.email)
    assert (refused.verification, refused.evidence.decided_by) == ("rejected", moderator)
    assert AffiliationTally.objects.get(petition=letter, affiliation=affiliation).verified == 1


def test_the_moderators_group_survives_a_flush_with_exactly_the_panel_permissions():
    """Transactional tests flush the database; post_migrate puts the group back as migrate made it."""
    granted = set(Group.objects.get(name=MODERATORS_GROUP).permissions.values_list("codename", flat=True))
    expected = {f"{action}_{model}" for (_, model), actions in MODERATOR_PERMISSIONS.items() for action in actions}
    assert granted == expected
    assert "view_recheck" in granted
    assert "delete_signature" not in granted
