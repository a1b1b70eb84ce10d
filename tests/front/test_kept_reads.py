"""A kept page or JSON answered early (front.kept_reads) means what the whole stack would have sent: the same status,
body and headers; and only an anonymous GET/HEAD of exactly those paths is answered there, never anything
per-user."""

import re
import time

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import Client, override_settings

from front.kept_reads import THIS, KeptReadsMiddleware
from tests.support.factories import make_petition, make_user

pytestmark = pytest.mark.django_db

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@pytest.fixture(autouse=True)
def _long_lag(settings):
    settings.PUBLIC_CACHE_SECONDS = 3600  # the kept copies stay fresh for the whole test


@pytest.fixture
def letter(artists):
    return make_petition(title="Fair terms for artists", affiliations=[artists])


def answered_early(response) -> bool:
    """The rest of the chain never saw the request: no session was attached to it."""
    return not hasattr(response.wsgi_request, "session")


def kept(petition):
    """The petition's page once it is kept: the first view renders and keeps it, the second is answered early."""
    Client().get(petition.get_absolute_url())
    return Client().get(petition.get_absolute_url())


def whole_stack(settings):
    """The middleware list without the early answer (a client made inside uses it)."""
    return override_settings(MIDDLEWARE=[name for name in settings.MIDDLEWARE if name != THIS])


def fetch(settings, early: bool, path: str, method: str = "get", cookies: dict | None = None, **headers):
    """One request through the configured stack (early) or the whole stack, the kept copy made beforehand."""

    def go(method: str, **headers):
        client = Client()
        for name, value in (cookies or {}).items():
            client.cookies[name] = value
        return getattr(client, method)(path, **headers)

    go("get", **{name: value for name, value in headers.items() if name != "HTTP_IF_NONE_MATCH"})

    if early:
        response = go(method, **headers)
        assert answered_early(response)
        return response
    with whole_stack(settings):
        response = go(method, **headers)
    assert not answered_early(response)
    return response


def csp(response) -> set[str]:
    """The policy's directives (their order in the header differs between processes)."""
    return {part.strip() for part in response["Content-Security-Policy"].split(";")}


def comparable_headers(response) -> dict:
    headers = {name.lower(): value for name, value in response.headers.items()}
    headers.pop("content-security-policy", None)
    return headers


def cookie_attributes(response) -> dict:
    return {name: {k: v for k, v in morsel.items() if v} for name, morsel in response.cookies.items()}


def same_meaning(early, whole, tokens_differ: bool = False) -> None:
    assert early.status_code == whole.status_code
    assert csp(early) == csp(whole)
    assert cookie_attributes(early) == cookie_attributes(whole)
    early_headers, whole_headers = comparable_headers(early), comparable_headers(whole)
    if tokens_differ:  # a new reader gets a new CSRF secret, which the page's ETag is bound to
        early_tag, whole_tag = early_headers.pop("etag"), whole_headers.pop("etag")
        assert early_tag.split("-")[0] == whole_tag.split("-")[0]
    assert early_headers == whole_headers
    assert TOKEN.sub("", early.content.decode()) == TOKEN.sub("", whole.content.decode())


def test_a_new_reader_gets_the_page_the_whole_stack_would_send(settings, letter):
    path = letter.get_absolute_url()
    early, whole = fetch(settings, True, path), fetch(settings, False, path)
    same_meaning(early, whole, tokens_differ=True)
    assert "Fair terms for artists" in early.content.decode()
    assert early["Cache-Control"] == "private, no-cache" and early["Content-Language"] == "en"
    assert early["X-Frame-Options"] == "DENY" and early["X-Content-Type-Options"] == "nosniff"
    assert set(early["Vary"].split(", ")) == {"Cookie", "Accept-Language"}
    assert early.cookies["csrftoken"].value  # the form's token needs its cookie


def test_a_returning_reader_with_a_csrf_cookie_gets_the_same_page_and_etag_as_from_the_whole_stack(settings, letter):
    path, cookies = letter.get_absolute_url(), {"csrftoken": "k" * 32}
    early, whole = fetch(settings, True, path, cookies=cookies), fetch(settings, False, path, cookies=cookies)
    same_meaning(early, whole)
    form_token = TOKEN.search(early.content.decode()).group(1)
    assert form_token != TOKEN.search(whole.content.decode()).group(1)  # masked anew for each response
    # The token in the form is good for that reader's cookie: it signs through the whole stack.
    signer = Client(enforce_csrf_checks=True)
    signer.cookies["csrftoken"] = "k" * 32
    response = signer.post(f"{path}sign/", {"csrfmiddlewaretoken": form_token, "full_name": ""})
    assert response.status_code == 400  # the form's own errors: past the CSRF check


def test_a_repeated_reader_gets_304_early_as_from_the_whole_stack(settings, letter):
    path, cookies = letter.get_absolute_url(), {"csrftoken": "k" * 32}
    etag = fetch(settings, True, path, cookies=cookies)["ETag"]
    early = fetch(settings, True, path, cookies=cookies, HTTP_IF_NONE_MATCH=etag)
    whole = fetch(settings, False, path, cookies=cookies, HTTP_IF_NONE_MATCH=etag)
    assert early.status_code == 304 and early.content == b""
    same_meaning(early, whole)


def test_the_api_and_its_304_are_what_the_whole_stack_sends_cors_included(settings, letter):
    path = f"/api/petitions/{letter.slug}/"
    early, whole = fetch(settings, True, path), fetch(settings, False, path)
    same_meaning(early, whole)
    assert early.json()["title"] == "Fair terms for artists"
    assert early["Access-Control-Allow-Origin"] == "*" and early["Cache-Control"].startswith("public, max-age=")
    again = fetch(settings, True, path, HTTP_IF_NONE_MATCH=early["ETag"])
    assert again.status_code == 304
    same_meaning(again, fetch(settings, False, path, HTTP_IF_NONE_MATCH=early["ETag"]))


def test_head_is_answered_early_with_the_headers_of_get(settings, letter):
    path, cookies = letter.get_absolute_url(), {"csrftoken": "k" * 32}
    early, whole = fetch(settings, True, path, "head", cookies), fetch(settings, False, path, "head", cookies)
    same_meaning(early, whole)


@pytest.mark.parametrize(
    ("headers", "cookies", "language", "words"),
    [
        ({"HTTP_ACCEPT_LANGUAGE": "fr-FR,fr;q=0.9"}, {}, "fr", "Derniers signataires"),
        ({"HTTP_ACCEPT_LANGUAGE": "fr"}, {"django_language": "es"}, "es", "Firmantes recientes"),
        ({"HTTP_ACCEPT_LANGUAGE": "de"}, {}, "en", "Recent signers"),
    ],
)
def test_the_readers_language_is_negotiated_as_by_the_whole_stack(settings, letter, headers, cookies, language, words):
    path = letter.get_absolute_url()
    cookies = {"csrftoken": "k" * 32, **cookies}
    early = fetch(settings, True, path, cookies=cookies, **headers)
    whole = fetch(settings, False, path, cookies=cookies, **headers)
    same_meaning(early, whole)
    assert early["Content-Language"] == language and words in early.content.decode()


def test_two_new_readers_get_their_own_csrf_cookie_and_token(letter):
    kept(letter)
    seen = set()
    for _ in range(2):
        response = Client().get(letter.get_absolute_url())
        assert answered_early(response)
        seen.add((response.cookies["csrftoken"].value, TOKEN.search(response.content.decode()).group(1)))
    assert len({cookie for cookie, _ in seen}) == 2 and len({token for _, token in seen}) == 2


def test_a_signed_in_moderator_goes_through_the_whole_stack_and_nothing_of_theirs_is_kept(letter):
    assert answered_early(kept(letter))
    moderator = Client()
    moderator.force_login(make_user("moderator@example.net", superuser=True))
    response = moderator.get(letter.get_absolute_url())
    assert response.status_code == 200 and not answered_early(response)
    assert response.wsgi_request.user.is_authenticated
    stranger = Client().get(letter.get_absolute_url())
    assert answered_early(stranger) and "moderator@example.net" not in stranger.content.decode()


def test_a_drafts_preview_for_its_team_is_never_answered_to_anyone_else(settings):
    draft = make_petition(status="draft", slug="draft-letter", title="Not yet public")
    teammate = Client()
    teammate.force_login(make_user("author@example.net", superuser=True))
    assert "Not yet public" in teammate.get("/petitions/draft-letter/").content.decode()
    anonymous = Client().get("/petitions/draft-letter/")
    assert anonymous.status_code == 404 and not answered_early(anonymous)
    assert Client().get("/api/petitions/draft-letter/").status_code == 404
    assert draft.status == "draft"


def test_a_reader_with_a_message_waiting_goes_through_the_whole_stack(letter):
    assert answered_early(kept(letter))
    client = Client()
    client.cookies["messages"] = "anything"
    assert not answered_early(client.get(letter.get_absolute_url()))


@pytest.mark.parametrize("query", ["?utm_source=mastodon", "?cursor=abc"])
def test_a_query_string_goes_through_the_whole_stack_which_ignores_it(letter, query):
    assert answered_early(kept(letter))
    response = Client().get(letter.get_absolute_url() + query)
    assert response.status_code == 200 and not answered_early(response)
    assert "Fair terms for artists" in response.content.decode()


def test_a_post_goes_through_the_whole_stack(letter):
    assert answered_early(kept(letter))
    response = Client().post(letter.get_absolute_url(), {})
    assert response.status_code == 405 and not answered_early(response)
    assert Client().post(f"/api/petitions/{letter.slug}/").status_code == 405


@pytest.mark.parametrize("path", ["/petitions/{slug}/signatures/", "/petitions/{slug}/embed/", "/petitions/{slug}"])
def test_other_paths_go_through_the_whole_stack(letter, path):
    assert answered_early(kept(letter))
    response = Client().get(path.format(slug=letter.slug))
    assert not answered_early(response)


def test_a_copy_not_fresh_or_missing_goes_through_the_whole_stack_which_renders_it(settings, letter):
    settings.PUBLIC_CACHE_SECONDS = 0  # every copy is stale at once
    for _ in range(2):
        response = Client().get(letter.get_absolute_url())
        assert response.status_code == 200 and not answered_early(response)


def test_a_host_not_allowed_is_refused_as_by_the_whole_stack(settings, letter):
    assert answered_early(kept(letter))
    early = Client().get(letter.get_absolute_url(), headers={"host": "evil.example"})
    with whole_stack(settings):
        whole = Client().get(letter.get_absolute_url(), headers={"host": "evil.example"})
    assert early.status_code == whole.status_code == 400


def test_an_https_redirect_comes_first_as_for_every_path(settings, letter):
    assert answered_early(kept(letter))
    settings.SECURE_SSL_REDIRECT = True
    response = Client().get(letter.get_absolute_url())
    assert response.status_code == 301 and response["Location"].startswith("https://")


def test_a_middleware_it_does_not_know_after_it_stops_the_start(settings):
    chain = [*settings.MIDDLEWARE, "django.middleware.gzip.GZipMiddleware"]
    with override_settings(MIDDLEWARE=chain), pytest.raises(ImproperlyConfigured, match="GZipMiddleware"):
        KeptReadsMiddleware(lambda request: None)


def test_it_must_come_before_the_middlewares_whose_hooks_it_calls(settings):
    chain = [name for name in settings.MIDDLEWARE if name != THIS] + [THIS]
    with override_settings(MIDDLEWARE=chain), pytest.raises(ImproperlyConfigured, match="LocaleMiddleware"):
        KeptReadsMiddleware(lambda request: None)


def test_the_cookie_it_sets_is_the_csrf_cookie_as_configured(settings, letter):
    settings.CSRF_COOKIE_SECURE = True
    settings.CSRF_COOKIE_HTTPONLY = True
    response = kept(letter)
    assert answered_early(response)
    morsel = response.cookies["csrftoken"]
    assert morsel["secure"] and morsel["httponly"] and morsel["samesite"] == "Lax"


def test_a_web_process_answers_from_the_copy_it_holds_for_at_most_memo_seconds_without_reading_the_cache(
    letter, monkeypatch
):
    """What another process's `forget` does here: the cache's copies go, this process's are still held."""
    from django.core.cache import cache

    from front import public_cache

    monkeypatch.setattr(public_cache, "MEMO_SECONDS", 2.0)  # room for a slow machine between the two views
    assert answered_early(kept(letter))
    cache.clear()  # the kept copies are gone from the cache; this process still holds the page
    assert answered_early(Client().get(letter.get_absolute_url()))
    time.sleep(public_cache.MEMO_SECONDS + 0.1)
    response = Client().get(letter.get_absolute_url())
    assert response.status_code == 200 and not answered_early(response)  # rendered again, from the rows


def test_forget_drops_the_copies_this_process_holds_at_once(letter):
    from front import public_cache

    assert answered_early(kept(letter))
    public_cache.forget(letter.slug)
    response = Client().get(letter.get_absolute_url())
    assert response.status_code == 200 and not answered_early(response)
