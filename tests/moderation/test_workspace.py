"""A letter's workspace in the panel: visible Publish / Close / Archive buttons, its dashboard, and the Markdown
preview while editing; each scoped to the letter's team."""

import re
from datetime import timedelta

import pytest
from django.contrib.admin.models import LogEntry
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from petitions.models import Petition
from signatures.models import Signature
from teams.roles import add_organiser
from tests.support.factories import make_organiser, make_petition, make_signature

pytestmark = pytest.mark.django_db

P = Petition.Status


def workspace(petition: Petition) -> str:
    return f"/admin/petitions/petition/{petition.pk}/workspace/"


def state(petition: Petition) -> str:
    return f"/admin/petitions/petition/{petition.pk}/state/"


PREVIEW = "/admin/petitions/petition/preview/"


def text(response) -> str:
    """The page's words, without markup (what a person reads)."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def test_the_dashboard_of_a_draft_offers_a_publish_button_that_opens_it(client, superuser, artists):
    draft = make_petition(title="Our draft", status=P.DRAFT, affiliations=[artists])
    client.force_login(superuser)
    page = client.get(workspace(draft))
    assert page.status_code == 200
    assert 'value="publish"' in page.content.decode()
    assert "Preview the draft at its public address" in text(page)

    done = client.post(state(draft), {"transition": "publish"}, follow=True)
    assert "Published “Our draft”: it is open for signatures." in text(done)
    draft.refresh_from_db()
    assert draft.status == P.OPEN and draft.current_version.number == 1
    assert client.get(f"/petitions/{draft.slug}/").status_code == 200
    entry = LogEntry.objects.get(object_id=str(draft.pk))
    assert (entry.user, entry.get_change_message()) == (superuser, "Published the petition.")


def test_publishing_an_empty_letter_is_refused_with_a_clear_message(client, superuser):
    empty = Petition.objects.create(title="Empty", slug="empty", body="   \n ")
    client.force_login(superuser)
    response = client.post(state(empty), {"transition": "publish"}, follow=True)
    assert "A letter needs a title and a text before it can be published." in text(response)
    empty.refresh_from_db()
    assert empty.status == P.DRAFT
    assert not LogEntry.objects.exists()


def test_close_then_archive_with_the_buttons_keeps_the_public_page(client, superuser, letter_a):
    client.force_login(superuser)
    assert 'value="close"' in client.get(workspace(letter_a)).content.decode()
    client.post(state(letter_a), {"transition": "close"})
    letter_a.refresh_from_db()
    assert letter_a.status == P.CLOSED
    assert 'value="archive"' in client.get(workspace(letter_a)).content.decode()
    client.post(state(letter_a), {"transition": "archive"})
    letter_a.refresh_from_db()
    assert letter_a.status == P.ARCHIVED
    assert client.get(f"/petitions/{letter_a.slug}/").status_code == 200
    messages = [e.get_change_message() for e in LogEntry.objects.filter(object_id=str(letter_a.pk))]
    assert sorted(messages) == ["Archived the petition.", "Closed the petition."]


def test_a_transition_the_state_does_not_allow_is_refused(client, superuser, letter_a):
    client.force_login(superuser)
    response = client.post(state(letter_a), {"transition": "archive"}, follow=True)
    assert "Only a closed petition can be archived; this petition is open." in text(response)
    response = client.post(state(letter_a), {"transition": "delete"}, follow=True)
    assert "Unknown transition" in text(response)
    letter_a.refresh_from_db()
    assert letter_a.status == P.OPEN


def test_the_state_buttons_act_on_post_only(client, superuser, letter_a):
    client.force_login(superuser)
    assert client.get(state(letter_a), {"transition": "close"}).status_code == 405
    letter_a.refresh_from_db()
    assert letter_a.status == P.OPEN


def test_a_moderator_sees_the_dashboard_without_buttons_and_cannot_post_them(client, moderator, letter_a):
    client.force_login(moderator)
    page = client.get(workspace(letter_a))
    assert page.status_code == 200
    assert 'name="transition"' not in page.content.decode()
    assert client.post(state(letter_a), {"transition": "close"}).status_code == 403
    letter_a.refresh_from_db()
    assert letter_a.status == P.OPEN


def test_another_teams_letter_has_no_workspace_for_you(client, moderator, letter_b):
    client.force_login(moderator)
    assert client.get(workspace(letter_b)).status_code == 404
    assert client.post(state(letter_b), {"transition": "close"}).status_code == 404
    assert client.get("/admin/petitions/petition/nonsense/workspace/").status_code == 404
    letter_b.refresh_from_db()
    assert letter_b.status == P.OPEN


def test_the_dashboard_shows_the_counts_the_funnel_and_the_queue(client, superuser, review_claim, letter_a, artists):
    make_signature(letter_a, full_name="Plain Signer")
    make_signature(letter_a, full_name="Not yet", confirmed=False)
    client.force_login(superuser)
    page = text(client.get(workspace(letter_a)))
    assert "2 confirmed signatures" in page
    assert "1 claim waiting in the review queue" in page
    assert "Sora alpha artists 1 0 0" in page  # claimed, verified, disputed
    assert "Awaiting a human: in the review queue 1" in page
    assert "Verified 0" in page
    assert "2 confirmed in this period; busiest day 2." in page


def test_the_chart_has_a_bar_per_day_with_signatures(client, superuser, letter_a):
    earlier = make_signature(letter_a)
    Signature.objects.filter(pk=earlier.pk).update(confirmed_at=timezone.now() - timedelta(days=3))
    make_signature(letter_a)
    make_signature(letter_a)
    client.force_login(superuser)
    html = client.get(workspace(letter_a)).content.decode()
    bars = re.findall(r"<rect [^>]*><title>([^<]+)</title>", html)
    assert [bar.rsplit(": ", 1)[1] for bar in bars] == ["1", "2"]
    assert "<script" not in html.split("<body", 1)[1].replace('<script src="', "")


def test_the_dashboard_costs_the_same_queries_however_many_signatures(client, superuser, letter_a, artists):
    client.force_login(superuser)
    make_signature(letter_a, affiliation=artists)
    with CaptureQueriesContext(connection) as few:
        client.get(workspace(letter_a))
    for _ in range(6):
        make_signature(letter_a, affiliation=artists)
    with CaptureQueriesContext(connection) as many:
        client.get(workspace(letter_a))
    assert len(many) == len(few)


def test_the_change_page_has_the_buttons_the_links_and_the_preview(client, superuser, letter_a, artists):
    client.force_login(superuser)
    page = client.get(f"/admin/petitions/petition/{letter_a.pk}/change/")
    html = page.content.decode()
    assert 'value="close"' in html
    assert f'href="/admin/petitions/{letter_a.slug}/export.csv"' in html
    assert f'href="/admin/verification/affiliation/{artists.pk}/roster/"' in html
    assert 'id="markdown-preview"' in html and "<strong>better</strong>" in html
    assert "moderation/markdown-preview.js" in html
    assert "<style" not in html


def test_the_live_preview_renders_markdown_sanitised(client, superuser):
    client.force_login(superuser)
    response = client.post(PREVIEW, {"body": "We **ask**.\n\n<script>alert(1)</script>", "fragment": "1"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "<strong>ask</strong>" in html
    assert "<script" not in html


def test_the_preview_without_javascript_is_a_page(client, superuser):
    client.force_login(superuser)
    response = client.post(PREVIEW, {"title": "Our letter", "body": "# Heading\n\nText"})
    page = text(response)
    assert "Preview of the text" in page and "Our letter" in page and "Heading" in page


def test_the_preview_refuses_get_oversized_text_and_people_who_cannot_edit(client, superuser, moderator):
    client.force_login(superuser)
    assert client.get(PREVIEW).status_code == 405
    assert client.post(PREVIEW, {"body": "x" * 100_001, "fragment": "1"}).status_code == 413
    client.force_login(moderator)
    assert client.post(PREVIEW, {"body": "hello", "fragment": "1"}).status_code == 403
    client.logout()
    assert client.post(PREVIEW, {"body": "hello", "fragment": "1"}).status_code == 302  # to the login page


def test_an_organiser_runs_their_own_letter_from_its_dashboard(client, keeper, artists):
    draft = make_petition(title="Organiser's draft", status=P.DRAFT, affiliations=[artists])
    add_organiser(draft, keeper)
    client.force_login(keeper)
    page = client.get(workspace(draft)).content.decode()
    assert 'value="publish"' in page
    assert f'href="/admin/verification/affiliation/{artists.pk}/roster/"' in page  # a roster they keep
    client.post(state(draft), {"transition": "publish"})
    draft.refresh_from_db()
    assert draft.status == P.OPEN


def test_an_organiser_of_another_letter_cannot_reach_this_ones_workspace(client, letter_b, artists):
    stranger = make_organiser("stranger@example.org", [make_petition(title="Theirs")], keeps=[])
    client.force_login(stranger)
    assert client.get(workspace(letter_b)).status_code == 404
    assert client.post(state(letter_b), {"transition": "close"}).status_code == 404
    letter_b.refresh_from_db()
    assert letter_b.status == P.OPEN


def test_a_moderator_gets_no_roster_link_for_a_roster_they_do_not_keep(client, moderator, letter_a, artists):
    client.force_login(moderator)
    page = client.get(workspace(letter_a)).content.decode()
    assert f"/admin/verification/affiliation/{artists.pk}/roster/" not in page


def test_a_moderator_reads_the_letter_without_the_editors_preview(client, moderator, letter_a):
    client.force_login(moderator)
    page = client.get(f"/admin/petitions/petition/{letter_a.pk}/change/").content.decode()
    assert "We, the undersigned" in page
    assert 'id="markdown-preview"' not in page


def test_organisers_find_the_invitation_form_for_this_letter_and_moderators_do_not(client, keeper, moderator, letter_a):
    client.force_login(keeper)
    link = f'href="/admin/teams/invitation/add/?petition={letter_a.pk}"'
    assert link in client.get(workspace(letter_a)).content.decode()
    client.force_login(moderator)
    assert "/admin/teams/invitation/add/" not in client.get(workspace(letter_a)).content.decode()
