"""The petition page and its JSON, kept rendered in the cache: a view costs one cache read, no query.

What is kept, per petition (by slug) and language: the page as rendered for an anonymous reader with a
placeholder where the form's CSRF token goes (each response gets its reader's own token), and the API's JSON.
Each copy is fresh for PUBLIC_CACHE_SECONDS (the stated lag of public counts); after that the first request
to take the rebuild lock renders it again while the others keep serving the old copy, so a burst of readers
never queues on the database. A text, title, status or affiliation change deletes the copies at once
(`forget`, on Petition's post_save and its affiliations' m2m_changed); signatures, withdrawals and verdicts
appear within the lag, and a rebuild first folds the petition's parked counter deltas.

Fresh copies are also answered early, before most of the request stack, by front.kept_reads (`fresh_copy`); the
responses are built by the same `page_response` and `json_response`. Each web process also holds the fresh copies
it read for up to MEMO_SECONDS (1 s, never past their freshness), so a reader costs no cache read at all: the
cache read was half of a kept view's CPU. `forget` drops this process's copies at once; another process may
show a changed text for up to MEMO_SECONDS more (a signature records the version its signer saw, not the newest).

Conditional GET: each copy carries an ETag of its content (the page's is also bound to the reader's CSRF
cookie, since the page holds a token for it); a reader whose If-None-Match still matches gets 304.
"""

import hashlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, HttpResponseNotModified
from django.middleware.csrf import get_token
from django.utils import translation
from django.utils.http import parse_etags

logger = logging.getLogger(__name__)

# Rendered where the form's hidden CSRF input goes; never a valid token, so a copy served without the
# substitution could not be used to post.
TOKEN_PLACEHOLDER = "csrf-token-placeholder-0d1f7c"
REBUILD_LOCK_SECONDS = 10
KINDS = ("page", "api")
# How long a web process answers from the fresh copy it read, without reading the cache again.
MEMO_SECONDS = 1.0
MEMO_KEPT = 512  # copies held per process at most (a petition's page and JSON per language)


@dataclass
class Copy:
    """One rendered response body, with when it stops being fresh and its content's ETag."""

    body: str
    etag: str
    fresh_until: float
    status: int = 200


def _key(kind: str, slug: str, language: str = "") -> str:
    return f"public:{kind}:{slug}:{language}"


def _keep_seconds() -> int:
    """How long a stale copy may be served while another request rebuilds it (or the cache evicts it)."""
    return max(60, 30 * settings.PUBLIC_CACHE_SECONDS)


def cached(kind: str, slug: str, build: Callable[[], tuple[str, float | None] | None]) -> Copy | None:
    """The fresh copy, or a new one from `build()` (body and an optional time it must be rebuilt by, e.g. a
    closing time; None: there is no such public petition, and nothing is kept)."""
    key = _key(kind, slug, translation.get_language() or "")
    now = time.time()
    try:
        copy = cache.get(key)
        locked = False
        if copy is not None:
            if now < copy.fresh_until:
                return copy
            locked = cache.add(f"{key}:lock", 1, REBUILD_LOCK_SECONDS)
            if not locked:
                return copy  # stale, while another request rebuilds it
    except Exception:  # the cache is down: every view renders the page itself, as before the cache
        logger.warning("cache unavailable; the %s of %s is rendered for every view", kind, slug, exc_info=True)
        return _fresh(build, now, keep=None)
    try:
        return _fresh(build, now, keep=key)
    finally:
        if locked:
            _quietly(cache.delete, f"{key}:lock")


# This process's fresh copies, by cache key: (held until, copy).
_memo: dict[str, tuple[float, Copy]] = {}


def fresh_copy(kind: str, slug: str) -> Copy | None:
    """The kept copy in the current language if it is still fresh: this process's (no cache read) for up to
    MEMO_SECONDS, else in one cache read; None otherwise (missing, stale or the cache unavailable: then `cached`
    decides, with its rebuild lock)."""
    key = _key(kind, slug, translation.get_language() or "")
    now = time.time()
    held = _memo.get(key)
    if held is not None and now < held[0]:
        return held[1]
    try:
        copy = cache.get(key)
    except Exception:
        return None
    if copy is None or now >= copy.fresh_until:
        return None
    if len(_memo) >= MEMO_KEPT:
        _memo.clear()
    _memo[key] = (min(copy.fresh_until, now + MEMO_SECONDS), copy)
    return copy


def _fresh(build: Callable, now: float, keep: str | None) -> Copy | None:
    """A new copy from `build()`, kept under `keep` (if the cache answers)."""
    built = build()
    if built is None:
        return None
    body, must_rebuild_by = built
    fresh_until = now + settings.PUBLIC_CACHE_SECONDS
    if must_rebuild_by is not None:
        fresh_until = min(fresh_until, must_rebuild_by)
    copy = Copy(body, hashlib.blake2b(body.encode(), digest_size=12).hexdigest(), fresh_until)
    if keep is not None:
        _quietly(cache.set, keep, copy, _keep_seconds())
    return copy


def _quietly(operation: Callable, *args) -> None:
    try:
        operation(*args)
    except Exception:
        logger.warning("cache unavailable", exc_info=True)


def forget(slug: str) -> None:
    """Drop every kept copy of this petition's page and JSON (all languages): the next view renders anew."""
    languages = {code for code, _ in settings.LANGUAGES} | {settings.LANGUAGE_CODE, ""}
    keys = [_key(kind, slug, language) for kind in KINDS for language in languages]
    for key in keys:
        _memo.pop(key, None)
    _quietly(cache.delete_many, keys)


def forget_all_held() -> None:
    """Drop every copy this process holds (the cache's are left): e.g. after the cache was cleared."""
    _memo.clear()


def page_response(request: HttpRequest, copy: Copy) -> HttpResponse:
    """The page with the reader's CSRF token in its form, or 304 if the reader's copy is still this one.

    The ETag names the content and the reader's CSRF secret: a reader whose cookie changed gets a new page,
    so the token in the form they hold always matches the cookie they send.
    """
    secret = request.META.get("CSRF_COOKIE")
    if secret and _matches(request, _page_etag(copy, secret)):
        response = HttpResponseNotModified()
    else:
        token = get_token(request)  # also sets the CSRF cookie when the reader has none
        response = HttpResponse(copy.body.replace(TOKEN_PLACEHOLDER, token), status=copy.status)
        secret = request.META["CSRF_COOKIE"]
    response["ETag"] = _page_etag(copy, secret)
    # Private (the form holds this reader's token), and checked with the server before each reuse.
    response["Cache-Control"] = "private, no-cache"
    response["Vary"] = "Cookie, Accept-Language"
    return response


def json_response(request: HttpRequest, copy: Copy) -> HttpResponse:
    """The API's JSON, or 304; shared caches may keep it for the stated lag."""
    etag = f'"{copy.etag}"'
    if _matches(request, etag):
        response = HttpResponseNotModified()
    else:
        response = HttpResponse(copy.body, content_type="application/json", status=copy.status)
    response["ETag"] = etag
    response["Cache-Control"] = f"public, max-age={settings.PUBLIC_CACHE_SECONDS}"
    return response


def _page_etag(copy: Copy, secret: str) -> str:
    bound = hashlib.blake2b(secret.encode(), digest_size=6, key=b"page-etag").hexdigest()
    return f'W/"{copy.etag}-{bound}"'


def _matches(request: HttpRequest, etag: str) -> bool:
    header = request.headers.get("If-None-Match", "")
    if not header:
        return False
    bare = etag.removeprefix("W/")
    return any(tag == "*" or tag.removeprefix("W/") == bare for tag in parse_etags(header))
