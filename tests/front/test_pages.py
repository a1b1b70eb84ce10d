import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from front import public_cache
from petitions.models import Petition
from tests.support.factories import make_affiliation, make_petition, make_signature

pytestmark = pytest.mark.django_db


def test_index_lists_open_petitions_only(client):
    make_petition(title="Open one")
    make_petition(title="Still a draft", status=Petition.Status.DRAFT)
    make_petition(title="Closed one", status=Petition.Status.CLOSED)
    page = client.get("/").content.decode()
    assert "Open one" in page
    assert "Still a draft" not in page
    assert "Closed one" not in page


def test_index_lists_newest_first(client):
    make_petition(title="Published first")
    make_petition(title="Published second")
    page = client.get("/").content.decode()
    assert page.index("Published second") < page.index("Published first")


def test_detail_shows_counts_per_affiliation(client):
    artists = make_affiliation("sora-alpha-artist", name="Sora alpha artists")
    petition = make_petition(affiliations=[artists])
    make_signature(petition, affiliation=artists)
    make_signature(petition)
    response = client.get(petition.get_absolute_url())
    assert response.status_code == 200
    assert response.context["petition"].signature_count == 2
    assert response.context["counts"] == [{"affiliation": artists, "claimed": 1, "verified": 0, "disputed": 0}]
    page = response.content.decode()
    assert "<strong>2</strong> confirmed signatures" in page
    assert "<td>Sora alpha artists</td><td>1</td><td>0</td>" in page


def test_detail_shows_the_signing_form_with_its_labels(client):
    petition = make_petition(affiliations=[make_affiliation("writers", name="Writers")])
    page = client.get(petition.get_absolute_url()).content.decode()
    for field in ("full_name", "email", "affiliation", "role", "organisation", "comment", "public"):
        assert f'for="id_{field}"' in page
    assert '<option value="writers">Writers</option>' in page
    assert 'name="csrfmiddlewaretoken"' in page


def test_detail_shows_recent_public_signers_with_their_claim(client):
    artists = make_affiliation("sora-alpha-artist", name="Sora alpha artists")
    petition = make_petition(affiliations=[artists])
    make_signature(petition, full_name="Ada Lovelace", affiliation=artists, role="Painter")
    make_signature(petition, full_name="Quiet Supporter", public=False)
    page = client.get(petition.get_absolute_url()).content.decode()
    text = re.sub(r"<[^>]+>", "", page)  # what a reader sees (names are isolated in <bdi> for right-to-left ones)
    assert "Ada Lovelace, Painter" in text
    assert "Sora alpha artists · claimed" in text
    assert "Quiet Supporter" not in page


def test_closed_petition_page_shows_no_form(client):
    petition = make_petition(status=Petition.Status.CLOSED)
    response = client.get(petition.get_absolute_url())
    assert response.status_code == 200
    page = response.content.decode()
    assert "closed to new signatures" in page
    assert "/sign/" not in page


def test_petition_past_closing_time_shows_no_form(client):
    petition = make_petition(closes_at=timezone.now() + timedelta(days=1))
    Petition.objects.filter(pk=petition.pk).update(closes_at=timezone.now() - timedelta(seconds=1))
    page = client.get(petition.get_absolute_url()).content.decode()
    assert "closed to new signatures" in page
    assert "/sign/" not in page


def test_draft_petition_is_not_found(client):
    petition = make_petition(status=Petition.Status.DRAFT)
    assert client.get(petition.get_absolute_url()).status_code == 404


def test_unknown_petition_page_is_a_friendly_404(client):
    response = client.get("/petitions/no-such-letter/")
    assert response.status_code == 404
    page = response.content.decode()
    assert "Page not found" in page
    assert 'href="/"' in page


def test_detail_does_not_answer_post(client):
    assert client.post(make_petition().get_absolute_url()).status_code == 405


def detail_queries(client, petition, rendered: bool = True) -> list[str]:
    """The queries of one view of the page; `rendered`: after its kept copy is dropped, so it is rendered anew."""
    if rendered:
        public_cache.forget(petition.slug)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(petition.get_absolute_url()).status_code == 200
    return [query["sql"] for query in captured.captured_queries]


def test_detail_page_queries_do_not_grow_with_signatures_and_never_count(client):
    artists, writers = make_affiliation("artists"), make_affiliation("writers")
    petition = make_petition(affiliations=[artists, writers])
    make_signature(petition, affiliation=artists)
    few = detail_queries(client, petition)
    for n in range(25):
        make_signature(petition, affiliation=artists if n % 2 else writers, public=n % 3 != 0)
    many = detail_queries(client, petition)
    assert len(many) == len(few)
    assert len([sql for sql in many if "SAVEPOINT" not in sql]) <= 10
    assert not [sql for sql in many if "COUNT(" in sql.upper()]


def test_a_repeated_view_of_the_page_within_the_lag_makes_no_query(client, settings):
    settings.PUBLIC_CACHE_SECONDS = 60
    petition = make_petition(affiliations=[make_affiliation("artists")])
    make_signature(petition)
    assert detail_queries(client, petition)
    assert detail_queries(client, petition, rendered=False) == []


def test_index_and_api_never_count(client):
    petition = make_petition(affiliations=[make_affiliation("artists")])
    make_signature(petition)
    with CaptureQueriesContext(connection) as captured:
        client.get("/")
        client.get(f"/api/petitions/{petition.slug}/")
        client.get(f"/api/petitions/{petition.slug}/signatures/")
    assert not [q["sql"] for q in captured.captured_queries if "COUNT(" in q["sql"].upper()]


def test_api_petition_has_exactly_the_documented_shape(client):
    artists, writers = make_affiliation("sora-alpha-artist"), make_affiliation("writers")
    petition = make_petition(title="A letter", slug="a-letter", kind="letter", affiliations=[artists, writers])
    make_signature(petition, affiliation=artists)
    make_signature(petition, affiliation=artists, public=False)
    make_signature(petition, confirmed=False, affiliation=writers)
    response = client.get("/api/petitions/a-letter/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "slug": "a-letter",
        "title": "A letter",
        "kind": "letter",
        "status": "open",
        "version": 1,
        "counts": {
            "confirmed": 2,
            "by_affiliation": {
                "sora-alpha-artist": {"claimed": 2, "verified": 0, "disputed": 0},
                "writers": {"claimed": 0, "verified": 0, "disputed": 0},
            },
        },
    }


def test_api_of_unknown_or_draft_petition_is_a_json_404(client):
    draft = make_petition(status=Petition.Status.DRAFT)
    for slug in ("no-such-letter", draft.slug):
        response = client.get(f"/api/petitions/{slug}/")
        assert (response.status_code, response.json()) == (404, {"error": "no such petition"})


def test_api_of_a_closed_petition_says_so(client):
    petition = make_petition(status=Petition.Status.CLOSED)
    assert client.get(f"/api/petitions/{petition.slug}/").json()["status"] == "closed"


def test_unknown_host_gets_the_friendly_400_page():
    response = Client(HTTP_HOST="evil.example").get("/")
    assert response.status_code == 400
    assert "Bad request" in response.content.decode()
