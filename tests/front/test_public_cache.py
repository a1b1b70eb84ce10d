"""The petition page and its JSON are served from a kept copy: changes show within the stated lag (or at once, for
the text), never a stale count forever; repeated readers revalidate with ETags and get 304."""

import re
import time

import pytest
from django.test import Client

from signatures import services
from signatures.models import Signature
from tests.support.factories import make_affiliation, make_petition, make_roster_entry, make_signature, make_user
from verification.claims import approve_claim

pytestmark = pytest.mark.django_db

LAG = 1  # PUBLIC_CACHE_SECONDS in these tests
MARGIN = 3  # seconds of slack on a busy machine before a change that has not shown counts as lost


@pytest.fixture(autouse=True)
def _lag(settings):
    settings.PUBLIC_CACHE_SECONDS = LAG


def confirmed_on_page(client, petition) -> int:
    page = client.get(petition.get_absolute_url()).content.decode()
    return int(re.search(r"<strong>(\d+)</strong> confirmed signature", page).group(1))


def api(client, petition) -> dict:
    return client.get(f"/api/petitions/{petition.slug}/").json()


def within_the_lag(read, expected):
    """What `read()` returns once it equals `expected`, polled for the lag plus a margin; fails if it never does."""
    deadline = time.monotonic() + LAG + MARGIN
    while (value := read()) != expected and time.monotonic() < deadline:
        time.sleep(0.1)
    assert value == expected
    return value


def test_a_new_signature_shows_on_the_page_and_the_api_within_the_lag(client):
    petition = make_petition()
    assert confirmed_on_page(client, petition) == 0 and api(client, petition)["counts"]["confirmed"] == 0
    make_signature(petition, full_name="Newly Confirmed")
    within_the_lag(lambda: confirmed_on_page(client, petition), 1)
    within_the_lag(lambda: api(client, petition)["counts"]["confirmed"], 1)
    assert "Newly Confirmed" in client.get(petition.get_absolute_url()).content.decode()


def test_a_withdrawal_leaves_the_page_and_the_api_within_the_lag(client):
    petition = make_petition()
    signature = make_signature(petition, full_name="Changed Their Mind")
    within_the_lag(lambda: confirmed_on_page(client, petition), 1)
    api(client, petition)
    services.withdraw(signature.pk)
    within_the_lag(lambda: confirmed_on_page(client, petition), 0)
    within_the_lag(lambda: api(client, petition)["counts"]["confirmed"], 0)
    assert "Changed Their Mind" not in client.get(petition.get_absolute_url()).content.decode()


def test_a_verdict_shows_in_the_counts_and_the_badge_within_the_lag(client):
    artists = make_affiliation("artists", name="Artists")
    petition = make_petition(affiliations=[artists])
    entry = make_roster_entry(artists, "Ana Castillo", "ana@studio.example")
    signature = make_signature(petition, full_name="Ana Castillo", email="ana@elsewhere.example", affiliation=artists)
    assert api(client, petition)["counts"]["by_affiliation"]["artists"]["verified"] == 0
    assert "<td>Artists</td><td>1</td><td>0</td>" in client.get(petition.get_absolute_url()).content.decode()
    approve_claim(Signature.objects.get(pk=signature.pk), make_user("mod@example.net"), entry=entry)
    within_the_lag(lambda: api(client, petition)["counts"]["by_affiliation"]["artists"]["verified"], 1)
    within_the_lag(
        lambda: "<td>Artists</td><td>1</td><td>1</td>" in client.get(petition.get_absolute_url()).content.decode(),
        True,
    )


def test_a_text_change_shows_on_the_next_view_without_waiting(client, settings):
    settings.PUBLIC_CACHE_SECONDS = 3600  # only the change itself may drop the kept copies
    petition = make_petition(title="First title", body="The first text.")
    assert "The first text." in client.get(petition.get_absolute_url()).content.decode()
    assert api(client, petition)["version"] == 1
    petition.title, petition.body = "Second title", "The amended text."
    petition.save()
    petition.record_version()
    page = client.get(petition.get_absolute_url()).content.decode()
    assert "The amended text." in page and "The first text." not in page
    assert (api(client, petition)["title"], api(client, petition)["version"]) == ("Second title", 2)


def test_closing_the_petition_removes_the_form_on_the_next_view(client, settings):
    settings.PUBLIC_CACHE_SECONDS = 3600
    petition = make_petition()
    assert "/sign/" in client.get(petition.get_absolute_url()).content.decode()
    petition.close()
    page = client.get(petition.get_absolute_url()).content.decode()
    assert "/sign/" not in page and "closed to new signatures" in page


def test_a_count_is_never_kept_stale_forever_even_with_a_long_quiet_after_the_change(client):
    petition = make_petition()
    assert confirmed_on_page(client, petition) == 0
    for _ in range(3):
        make_signature(petition)
    time.sleep(LAG + 0.2)  # nobody reads during the lag; the next reader still gets the truth
    assert confirmed_on_page(client, petition) == 3


def test_a_repeated_reader_gets_304_until_the_page_changes(client):
    petition = make_petition()
    first = client.get(petition.get_absolute_url())
    etag = first["ETag"]
    assert first.status_code == 200 and etag and "no-cache" in first["Cache-Control"]
    again = client.get(petition.get_absolute_url(), headers={"if-none-match": etag})
    assert again.status_code == 304 and again.content == b""
    make_signature(petition)
    changed = within_the_lag(
        lambda: client.get(petition.get_absolute_url(), headers={"if-none-match": etag}).status_code, 200
    )
    assert changed == 200
    assert client.get(petition.get_absolute_url())["ETag"] != etag


def test_the_pages_etag_is_bound_to_the_readers_csrf_cookie(client):
    petition = make_petition()
    etag = client.get(petition.get_absolute_url())["ETag"]
    stranger = Client()  # no CSRF cookie: a 304 would leave them a form whose token matches no cookie of theirs
    response = stranger.get(petition.get_absolute_url(), headers={"if-none-match": etag})
    assert response.status_code == 200
    assert 'name="csrfmiddlewaretoken"' in response.content.decode()
    assert response.cookies["csrftoken"].value


def test_each_reader_gets_a_form_token_of_their_own_from_the_kept_page():
    petition = make_petition()
    tokens = set()
    for _ in range(2):
        page = Client().get(petition.get_absolute_url()).content.decode()
        tokens.add(re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1))
    assert len(tokens) == 2
    assert not [token for token in tokens if "placeholder" in token]


def test_the_api_answers_304_to_a_matching_etag_and_may_be_kept_for_the_lag(client):
    petition = make_petition()
    first = client.get(f"/api/petitions/{petition.slug}/")
    assert first["Cache-Control"] == f"public, max-age={LAG}"
    again = client.get(f"/api/petitions/{petition.slug}/", headers={"if-none-match": first["ETag"]})
    assert again.status_code == 304
    make_signature(petition)
    within_the_lag(
        lambda: client.get(f"/api/petitions/{petition.slug}/", headers={"if-none-match": first["ETag"]}).status_code,
        200,
    )


@pytest.mark.parametrize("header", ['"nonsense"', "*garbage*", "W/", "", "x" * 5000])
def test_a_malformed_or_foreign_etag_gets_the_whole_page(client, header):
    petition = make_petition()
    client.get(petition.get_absolute_url())
    response = client.get(petition.get_absolute_url(), headers={"if-none-match": header})
    assert response.status_code == 200


def test_an_unknown_or_draft_petition_is_not_kept_and_shows_once_published(client, settings):
    settings.PUBLIC_CACHE_SECONDS = 3600
    petition = make_petition(status="draft", slug="soon")
    assert client.get("/petitions/soon/").status_code == 404
    assert client.get("/api/petitions/soon/").status_code == 404
    petition.publish()
    assert client.get("/petitions/soon/").status_code == 200
    assert client.get("/api/petitions/soon/").status_code == 200


def test_the_kept_page_is_rendered_as_for_an_anonymous_visitor_whoever_came_first(client, settings):
    settings.PUBLIC_CACHE_SECONDS = 3600
    moderator = make_user("first-reader@example.net", superuser=True)
    client.force_login(moderator)
    petition = make_petition()
    first = client.get(petition.get_absolute_url())
    assert first.context["user"].is_authenticated is False  # what the template saw when it was rendered
    assert list(first.context["messages"]) == []
    assert "first-reader@example.net" not in Client().get(petition.get_absolute_url()).content.decode()
