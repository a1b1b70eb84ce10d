"""Closed and archived letters: they keep their page, counts and signers, and are listed on the archive page."""

import xml.etree.ElementTree as ET

import pytest
from django.test.utils import override_settings

from front.views import archive
from petitions.models import Petition
from tests.support.factories import make_affiliation, make_petition, make_signature

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.mark.parametrize("status", [Petition.Status.CLOSED, Petition.Status.ARCHIVED])
def test_an_ended_letter_keeps_its_page_counts_signers_and_api(client, status):
    artists = make_affiliation(name="Sora alpha artists")
    letter = make_petition(title="An ended letter", affiliations=[artists])
    make_signature(letter, full_name="Early Signer", affiliation=artists)
    letter.close()
    if status == Petition.Status.ARCHIVED:
        letter.archive()
    page = client.get(letter.get_absolute_url())
    assert page.status_code == 200 and "closed to new signatures" in page.content.decode()
    assert page.context["counts"][0]["claimed"] == 1 and "Early Signer" in page.content.decode()
    assert '<form method="post"' not in page.content.decode()
    assert "Early Signer" in client.get(f"/petitions/{letter.slug}/signatures/").content.decode()
    api = client.get(f"/api/petitions/{letter.slug}/").json()
    assert (api["status"], api["counts"]["confirmed"]) == (status, 1)


def test_the_archive_lists_closed_and_archived_letters_only_most_recently_closed_first(client):
    make_petition(title="Still open")
    make_petition(title="A draft", status=Petition.Status.DRAFT)
    first = make_petition(title="Closed first")
    second = make_petition(title="Closed second")
    first.close()
    second.close()
    second.archive()
    page = client.get("/archive/").content.decode()
    assert "Still open" not in page and "A draft" not in page
    assert page.index("Closed second") < page.index("Closed first")


def test_the_home_page_links_the_archive_and_the_feed(client):
    page = client.get("/").content.decode()
    assert 'href="/archive/"' in page and 'href="/feed.atom"' in page


def test_the_archive_is_paginated_by_key(client, monkeypatch):
    monkeypatch.setattr(archive, "ARCHIVE_PAGE", 2)
    letters = [make_petition(title=f"Ended {n}") for n in range(5)]
    for letter in letters:
        letter.close()
    seen, path = [], "/archive/"
    while path:
        response = client.get(path)
        seen += [p.title for p in response.context["petitions"]]
        path = f"/archive/?before={response.context['next_cursor']}" if response.context["next_cursor"] else None
    assert seen == [f"Ended {n}" for n in reversed(range(5))]


@pytest.mark.parametrize("before", ["abc", "-1", "0", "1.5", "9" * 30, "٣", "999999"])
def test_a_bad_archive_page_link_is_a_bad_request(client, before):
    make_petition(status=Petition.Status.CLOSED)
    assert client.get("/archive/", {"before": before}).status_code == 400


def test_an_open_letter_s_id_is_not_an_archive_cursor(client):
    open_letter = make_petition()
    assert client.get("/archive/", {"before": open_letter.pk}).status_code == 400


@override_settings(SITE_URL="https://letters.example")
def test_the_atom_feed_lists_published_letters_newest_first_and_never_drafts(client):
    make_petition(title="Older", summary="First one.")
    make_petition(title="Newer")
    make_petition(title="Secret draft", status=Petition.Status.DRAFT)
    response = client.get("/feed.atom")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/atom+xml")
    feed = ET.fromstring(response.content)
    entries = feed.findall(f"{ATOM}entry")
    assert [e.find(f"{ATOM}title").text for e in entries] == ["Newer", "Older"]
    assert entries[1].find(f"{ATOM}summary").text == "First one."
    assert entries[0].find(f"{ATOM}link").get("href").startswith("https://letters.example/petitions/")
    assert b"@example.org" not in response.content


def test_every_page_announces_the_feed(client):
    assert 'type="application/atom+xml" href="/feed.atom"' in client.get("/").content.decode()


HOSTILE = ["?" + "x" * 10_000, "?a=%00%ff&b=<script>", "?before=%F0%9F%92%A9", "?" + "a=1&" * 500]


@pytest.mark.parametrize("query", HOSTILE)
def test_hostile_query_strings_on_the_new_pages_get_a_normal_answer(client, query):
    letter = make_petition()
    for path in ["/archive/", "/feed.atom", f"/petitions/{letter.slug}/embed/", f"/petitions/{letter.slug}/print/"]:
        assert client.get(path + query).status_code in (200, 400), path
