"""The audit trail (/admin/admin/logentry/): every organiser's and moderator's action, with who, what and when,
and only about the letters the reader is in charge of."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from petitions.models import Petition
from teams.roles import add_organiser
from tests.moderation.test_petitions import form_data
from tests.support.factories import make_moderator, make_petition, make_signature
from tests.support.queued import settled

pytestmark = pytest.mark.django_db

TRAIL = "/admin/admin/logentry/"


def rows(client) -> list[str]:
    """The trail's rows as a person reads them: time, who, about what, what was done."""
    html = client.get(TRAIL).content.decode()
    if 'id="result_list"' not in html:
        return []
    body = html.split('id="result_list"', 1)[1].split("</table>", 1)[0]
    return [
        re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip()
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)[1:]
    ]


def test_every_organiser_and_moderator_action_is_in_the_trail_with_who_and_what(
    client, superuser, moderator, keeper, artists, review_claim, letter_a
):
    draft = make_petition(title="Draft for the trail", slug="draft-trail", status=Petition.Status.DRAFT)
    add_organiser(draft, keeper)
    client.force_login(keeper)
    client.post(f"/admin/petitions/petition/{draft.pk}/state/", {"transition": "publish"})
    draft.refresh_from_db()
    client.post(f"/admin/petitions/petition/{draft.pk}/change/", form_data(draft, body="A new text."))
    client.post(f"/admin/petitions/petition/{draft.pk}/state/", {"transition": "close"})
    client.post(f"/admin/petitions/petition/{draft.pk}/state/", {"transition": "archive"})

    client.force_login(moderator)
    decide = f"/admin/signatures/signature/{review_claim.pk}/decide/"
    client.post(decide, {"decision": "reject"})
    client.post(decide, {"decision": "spam", "confirmed": "yes"})
    client.post(decide, {"decision": "reinstate"})
    unsettled = make_signature(letter_a, full_name="Zed Unknown", affiliation=artists)
    client.post("/admin/signatures/signature/", {"action": "recheck_claims", "_selected_action": [unsettled.pk]})
    b"".join(client.get(f"/admin/petitions/{letter_a.slug}/export.csv").streaming_content)
    client.force_login(keeper)
    roster = SimpleUploadedFile("roster.csv", b"full_name,email,handles,external_id\nAna,ana@x.example,,\n")
    with settled():  # the upload is imported by a worker once it commits
        page = client.post(f"/admin/verification/affiliation/{artists.pk}/roster/", {"file": roster})
    with settled():  # its dry run changes a verdict: the keeper confirms it
        client.post(page["Location"], {"confirm": "Import it"})

    client.force_login(superuser)
    trail = "\n".join(rows(client))
    for who, what in [
        ("org-a@example.org", "Published the petition."),
        ("org-a@example.org", "Changed Body."),
        ("org-a@example.org", "Closed the petition."),
        ("org-a@example.org", "Archived the petition."),
        ("mod-a@example.org", "Rejected the claim to Sora alpha artists."),
        ("mod-a@example.org", "Rejected the signature as spam."),
        ("mod-a@example.org", "Reinstated the signature (undoing its rejection)."),
        ("mod-a@example.org", "Exported the signers CSV (verified)."),
        ("mod-a@example.org", "Asked for a re-check of claims against the roster"),
        ("org-a@example.org", "Confirmed import #"),
        ("org-a@example.org", "Imported roster.csv (1 rows"),
    ]:
        assert re.search(rf"{re.escape(who)} .*{re.escape(what)}", trail), f"{who}: {what} missing from\n{trail}"
    assert re.search(r"\d{4}", trail)  # each row has its time


def test_a_moderator_reads_only_the_trail_of_their_own_letters(client, moderator, letter_a, letter_b):
    other = make_moderator("mod-b@example.org", [letter_b])
    theirs = make_signature(letter_b, full_name="Bob Writer")
    client.force_login(other)
    client.post(f"/admin/signatures/signature/{theirs.pk}/decide/", {"decision": "spam", "confirmed": "yes"})
    b"".join(client.get(f"/admin/petitions/{letter_b.slug}/export.csv").streaming_content)
    assert len(rows(client)) == 2

    client.force_login(moderator)
    assert rows(client) == []
    assert client.get(TRAIL).status_code == 200
    assert "Bob Writer" not in client.get(f"{TRAIL}?q=Bob").content.decode()


def test_nobody_edits_or_deletes_the_trail(client, superuser, letter_a):
    client.force_login(superuser)
    b"".join(client.get(f"/admin/petitions/{letter_a.slug}/export.csv").streaming_content)
    assert client.get(f"{TRAIL}add/").status_code == 403
    from django.contrib.admin.models import LogEntry

    entry = LogEntry.objects.get()
    assert client.post(f"{TRAIL}{entry.pk}/delete/", {"post": "yes"}).status_code == 403
    assert LogEntry.objects.filter(pk=entry.pk).exists()


def test_people_outside_the_panel_cannot_read_the_trail(client, letter_a):
    signer_account = make_moderator("former@example.org", [])
    signer_account.groups.clear()
    client.force_login(signer_account)
    assert client.get(TRAIL).status_code in (302, 403)
    client.logout()
    assert client.get(TRAIL).status_code == 302
