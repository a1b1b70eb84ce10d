"""The public signers, as a page and as JSON: who is listed, in what order, how pages follow each other."""

import re
from datetime import datetime

import pytest
from django.test import override_settings

from signatures import services
from tests.support.factories import make_affiliation, make_petition, make_roster_entry, make_signature

pytestmark = pytest.mark.django_db

API_KEYS = {"full_name", "affiliation", "verification", "role", "organisation", "signed_at"}
NEXT_LINK = re.compile(r'<a rel="next" href="\?([^"]+)">')


@pytest.fixture
def writers():
    return make_affiliation("writers", name="Writers")


@pytest.fixture
def letter(artists, writers):
    return make_petition(affiliations=[artists, writers])


def names_on_page(response) -> list[str]:
    return [signer.full_name for signer in response.context["signers"]]


def api_names(body: dict) -> list[str]:
    return [row["full_name"] for row in body["results"]]


def test_only_confirmed_public_signers_are_listed_newest_first(client, letter):
    make_signature(letter, full_name="Oldest Public")
    make_signature(letter, full_name="Private Person", public=False)
    make_signature(letter, full_name="Never Confirmed", confirmed=False)
    services.withdraw(make_signature(letter, full_name="Changed Mind").pk)
    services.reject(make_signature(letter, full_name="Spam Bot"))
    make_signature(letter, full_name="Newest Public")

    page = client.get(f"/petitions/{letter.slug}/signatures/")
    assert page.status_code == 200
    assert names_on_page(page) == ["Newest Public", "Oldest Public"]
    assert api_names(client.get(f"/api/petitions/{letter.slug}/signatures/").json()) == [
        "Newest Public",
        "Oldest Public",
    ]


def test_api_rows_have_exactly_the_documented_keys_and_types(client, letter, artists):
    make_signature(letter, full_name="Ada Lovelace", affiliation=artists, role="Painter", organisation="Studio")
    make_signature(letter, full_name="Grace Hopper")
    response = client.get(f"/api/petitions/{letter.slug}/signatures/")
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) == {"results", "next"}
    assert body["next"] is None
    grace, ada = body["results"]
    assert set(ada) == API_KEYS and set(grace) == API_KEYS
    assert {k: ada[k] for k in API_KEYS - {"signed_at"}} == {
        "full_name": "Ada Lovelace",
        "affiliation": "sora-alpha-artist",
        "verification": "pending",
        "role": "Painter",
        "organisation": "Studio",
    }
    assert isinstance(datetime.fromisoformat(ada["signed_at"]), datetime)
    assert (grace["affiliation"], grace["verification"], grace["role"]) == (None, "none", "")


@override_settings(SIGNERS_PAGE_SIZE=2)
def test_api_pages_follow_each_other_without_overlap_until_next_is_null(client, letter):
    everyone = [make_signature(letter, full_name=f"Signer Number {n}").full_name for n in range(5)]
    seen, url, pages = [], f"/api/petitions/{letter.slug}/signatures/", 0
    while url:
        body = client.get(url).json()
        seen += api_names(body)
        pages += 1
        url = body["next"]
        assert url is None or url.startswith("http://testserver/api/")
    assert pages == 3
    assert seen == list(reversed(everyone))


@override_settings(SIGNERS_PAGE_SIZE=2)
def test_html_pages_follow_each_other_without_overlap(client, letter):
    everyone = [make_signature(letter, full_name=f"Signer Number {n}").full_name for n in range(5)]
    seen, query = [], ""
    for _ in range(3):
        response = client.get(f"/petitions/{letter.slug}/signatures/?{query}")
        seen += names_on_page(response)
        found = NEXT_LINK.search(response.content.decode())
        query = found.group(1).replace("&amp;", "&") if found else ""
    assert query == ""
    assert seen == list(reversed(everyone))


@override_settings(SIGNERS_PAGE_SIZE=2)
def test_exactly_one_full_page_has_no_next_page(client, letter):
    make_signature(letter)
    make_signature(letter)
    assert client.get(f"/api/petitions/{letter.slug}/signatures/").json()["next"] is None
    assert not NEXT_LINK.search(client.get(f"/petitions/{letter.slug}/signatures/").content.decode())


@pytest.fixture
def claims(letter, artists, writers, settled):
    """One signer per outcome; the claim checks run as they would after the confirmation commits."""
    make_roster_entry(artists, "Vera Verified", "vera@example.org")
    make_roster_entry(artists, "Rhea Reviewed")  # no roster address: her claim goes to a moderator
    with settled():
        make_signature(letter, full_name="Vera Verified", email="vera@example.org", affiliation=artists)
        make_signature(letter, full_name="Rhea Reviewed", email="rhea@example.org", affiliation=artists)
        make_signature(letter, full_name="Uma Unverified", email="uma@example.org", affiliation=artists)
        make_signature(letter, full_name="Wes Writer", email="wes@example.org", affiliation=writers)
        make_signature(letter, full_name="Nora Noclaim", email="nora@example.org")


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"affiliation": "sora-alpha-artist"}, ["Uma Unverified", "Rhea Reviewed", "Vera Verified"]),
        ({"affiliation": "writers"}, ["Wes Writer"]),
        ({"affiliation": "nobody-claims-this"}, []),
        ({"verification": "verified"}, ["Vera Verified"]),
        ({"verification": "needs_review"}, ["Rhea Reviewed"]),
        ({"verification": "unverified"}, ["Wes Writer", "Uma Unverified"]),
        ({"verification": "none"}, ["Nora Noclaim"]),
        ({"affiliation": "sora-alpha-artist", "verification": "unverified"}, ["Uma Unverified"]),
    ],
)
def test_filters_by_affiliation_and_verification(client, letter, claims, query, expected):
    assert names_on_page(client.get(f"/petitions/{letter.slug}/signatures/", query)) == expected
    assert api_names(client.get(f"/api/petitions/{letter.slug}/signatures/", query).json()) == expected


@override_settings(SIGNERS_PAGE_SIZE=2)
def test_next_page_keeps_the_filters(client, letter, claims):
    first = client.get(f"/api/petitions/{letter.slug}/signatures/", {"affiliation": "sora-alpha-artist"}).json()
    assert "affiliation=sora-alpha-artist" in first["next"]
    second = client.get(first["next"]).json()
    assert api_names(first) + api_names(second) == ["Uma Unverified", "Rhea Reviewed", "Vera Verified"]
    page = client.get(f"/petitions/{letter.slug}/signatures/", {"affiliation": "sora-alpha-artist"}).content.decode()
    assert 'href="?affiliation=sora-alpha-artist&amp;cursor=' in page


def test_badges_name_each_claim_state_in_words(client, letter, claims):
    page = client.get(f"/petitions/{letter.slug}/signatures/").content.decode()
    assert "Sora alpha artists · verified by roster address" in page
    assert "Sora alpha artists · claimed, needs review" in page
    assert "Sora alpha artists · claimed, not verified" in page


def test_a_claim_still_being_checked_reads_pending(client, letter, artists):
    make_signature(letter, full_name="Pia Pending", affiliation=artists)  # its check is queued, not yet run
    page = client.get(f"/petitions/{letter.slug}/signatures/").content.decode()
    assert "Sora alpha artists · claimed, check pending" in page


BAD_CURSORS = ["abc", "-1", "0", "1.5", "99999999999999999999999", "9" * 5000, "٣"]


@pytest.mark.parametrize("cursor", BAD_CURSORS)
def test_bad_cursor_is_a_bad_request(client, letter, cursor):
    make_signature(letter)
    page = client.get(f"/petitions/{letter.slug}/signatures/", {"cursor": cursor})
    assert page.status_code == 400
    assert "That page link is not valid" in page.content.decode()
    api = client.get(f"/api/petitions/{letter.slug}/signatures/", {"cursor": cursor})
    assert (api.status_code, api.json()) == (400, {"error": "invalid cursor"})


@pytest.mark.parametrize("query", [{"verification": "approved"}, {"affiliation": "x" * 101}])
def test_filter_value_no_link_produces_is_a_bad_request(client, letter, query):
    assert client.get(f"/petitions/{letter.slug}/signatures/", query).status_code == 400
    api = client.get(f"/api/petitions/{letter.slug}/signatures/", query)
    assert (api.status_code, api.json()) == (400, {"error": "invalid filter"})


def test_cursor_beyond_everyone_gives_an_empty_last_page(client, letter):
    make_signature(letter)
    body = client.get(f"/api/petitions/{letter.slug}/signatures/", {"cursor": "1"}).json()
    assert body == {"results": [], "next": None}


def test_signers_of_unknown_or_draft_petition_are_not_found(client):
    draft = make_petition(status="draft")
    make_signature(make_petition(), full_name="Someone Else")
    for slug in ("no-such-letter", draft.slug):
        assert client.get(f"/petitions/{slug}/signatures/").status_code == 404
        api = client.get(f"/api/petitions/{slug}/signatures/")
        assert (api.status_code, api.json()) == (404, {"error": "no such petition"})


def test_signers_of_a_closed_petition_stay_public(client):
    letter = make_petition()
    make_signature(letter, full_name="Early Signer")
    letter.close()
    assert names_on_page(client.get(f"/petitions/{letter.slug}/signatures/")) == ["Early Signer"]


def test_a_signer_whose_claim_a_moderator_rejected_is_not_listed_by_name_but_still_counts(client, letter, artists):
    from moderation.decisions import Decision, decide
    from tests.support.factories import make_user

    refused = make_signature(letter, full_name="Famous Impostor", affiliation=artists)
    make_signature(letter, full_name="Plain Signer")
    decide(refused, Decision.REJECT, make_user("mod@example.org", superuser=True))

    slug = letter.slug
    page = client.get(f"/petitions/{slug}/signatures/").content.decode()
    api = client.get(f"/api/petitions/{slug}/signatures/").json()
    assert "Plain Signer" in page and "Famous Impostor" not in page
    assert [row["full_name"] for row in api["results"]] == ["Plain Signer"]
    assert all(row["verification"] != "rejected" for row in api["results"])
    assert "Famous Impostor" not in client.get(f"/petitions/{slug}/").content.decode()
    assert client.get(f"/api/petitions/{slug}/").json()["counts"]["confirmed"] == 2
    for path in (f"/petitions/{slug}/signatures/", f"/api/petitions/{slug}/signatures/"):
        assert client.get(path, {"verification": "rejected"}).status_code == 400
