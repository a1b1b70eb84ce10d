"""Embedding: the counter page is the only one other sites may frame, and only the JSON API answers other origins."""

import re

import pytest
from django.urls import URLResolver, get_resolver
from django.urls.resolvers import RoutePattern

from petitions.models import Petition
from tests.support.factories import make_petition, make_signature

pytestmark = pytest.mark.django_db

ORIGIN = {"HTTP_ORIGIN": "https://news.example"}


def test_the_embed_shows_title_confirmed_count_and_claims_per_affiliation_with_a_link_back(
    client, letter, artists, settled
):
    make_signature(letter, affiliation=artists)
    make_signature(letter)
    response = client.get(f"/petitions/{letter.slug}/embed/")
    page = response.content.decode()
    assert response.status_code == 200
    assert letter.title in page and "<strong>2</strong> confirmed signatures" in page
    assert "<td>Sora alpha artists</td><td>1</td><td>0</td>" in page
    assert f'href="/petitions/{letter.slug}/" target="_blank" rel="noopener"' in page


def test_the_embed_may_be_framed_by_any_site(client, letter):
    response = client.get(f"/petitions/{letter.slug}/embed/")
    assert "X-Frame-Options" not in response
    policy = response["Content-Security-Policy"]
    assert "frame-ancestors *" in policy and "frame-ancestors 'none'" not in policy
    assert "script-src 'self'" in policy  # the rest of the site's policy still holds


def public_paths(letter: Petition) -> list[str]:
    return [
        "/",
        "/archive/",
        letter.get_absolute_url(),
        f"/petitions/{letter.slug}/signatures/",
        f"/petitions/{letter.slug}/print/",
        f"/petitions/{letter.slug}/letter.txt",
        "/feed.atom",
        "/signatures/confirm/not-a-token/",
        "/petitions/no-such-letter/embed/",  # an error page is not frameable either
        "/accounts/login/",
        "/admin/login/",
    ]


def test_every_other_page_refuses_to_be_framed(client, letter):
    for path in public_paths(letter):
        response = client.get(path)
        assert response.get("X-Frame-Options") == "DENY", path


def routes(patterns=None, prefix: str = "") -> list[str]:
    """Every path route of the site (admin and allauth included), with its parameters left in."""
    found = []
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        route = str(pattern.pattern)
        if not isinstance(pattern.pattern, RoutePattern):
            continue  # the admin's few regex routes repeat the path routes' views
        if isinstance(pattern, URLResolver):
            found += routes(pattern.url_patterns, prefix + route)
        else:
            found.append(prefix + route)
    return found


def test_of_every_route_of_the_site_only_the_embed_may_be_framed(client, letter):
    framable = []
    for route in routes():
        path = "/" + re.sub(r"<slug:\w+>", letter.slug, re.sub(r"<(?!slug:)[^>]+>", "1", route))
        for method in (client.get, client.post):
            if "X-Frame-Options" not in method(path):
                framable.append(route)
    assert sorted(set(framable)) == ["petitions/<slug:slug>/embed/"]


def test_the_embed_of_an_unknown_or_draft_petition_is_not_found(client):
    draft = make_petition(status=Petition.Status.DRAFT)
    for slug in ("no-such-letter", draft.slug):
        assert client.get(f"/petitions/{slug}/embed/").status_code == 404


def test_closed_letters_keep_their_embed(client):
    closed = make_petition(status=Petition.Status.CLOSED)
    assert client.get(f"/petitions/{closed.slug}/embed/").status_code == 200


# CORS


def test_the_api_answers_any_origin_without_credentials(client, letter):
    for path in (f"/api/petitions/{letter.slug}/", f"/api/petitions/{letter.slug}/signatures/"):
        response = client.get(path, **ORIGIN)
        assert response.status_code == 200
        assert response["Access-Control-Allow-Origin"] == "*"
        assert "Access-Control-Allow-Credentials" not in response
    assert client.head(f"/api/petitions/{letter.slug}/", **ORIGIN)["Access-Control-Allow-Origin"] == "*"


def test_api_errors_are_readable_cross_origin_too(client):
    response = client.get("/api/petitions/no-such-letter/", **ORIGIN)
    assert response.status_code == 404 and response["Access-Control-Allow-Origin"] == "*"


def test_a_preflight_for_a_get_is_allowed_and_for_anything_else_is_not(client, letter):
    path = f"/api/petitions/{letter.slug}/"
    ok = client.options(path, HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET", **ORIGIN)
    assert ok.status_code == 204
    assert ok["Access-Control-Allow-Origin"] == "*"
    assert ok["Access-Control-Allow-Methods"] == "GET, HEAD, OPTIONS"
    for method in ("POST", "PUT", "DELETE", "PATCH"):
        refused = client.options(path, HTTP_ACCESS_CONTROL_REQUEST_METHOD=method, **ORIGIN)
        assert "Access-Control-Allow-Origin" not in refused, method


@pytest.mark.parametrize("method", ["post", "put", "delete", "patch"])
def test_the_api_refuses_writes_and_does_not_invite_them_cross_origin(client, letter, method):
    response = getattr(client, method)(f"/api/petitions/{letter.slug}/", **ORIGIN)
    assert response.status_code in (403, 405)  # CSRF refuses an unsafe method before the view does
    assert "Access-Control-Allow-Origin" not in response


def test_no_other_path_sends_a_cors_header(client, letter):
    for path in [*public_paths(letter), f"/petitions/{letter.slug}/embed/", "/admin/"]:
        assert "Access-Control-Allow-Origin" not in client.get(path, **ORIGIN), path
        preflight = client.options(path, HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET", **ORIGIN)
        assert "Access-Control-Allow-Origin" not in preflight, path


def test_a_path_that_only_starts_like_the_api_gets_no_cors_header(client):
    assert "Access-Control-Allow-Origin" not in client.get("/apiary/", **ORIGIN)
