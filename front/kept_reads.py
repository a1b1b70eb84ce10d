"""The hot reads answered early: a public petition page or its JSON, fresh in the cache, without the whole stack.

A viral letter is read far more than it is signed, and its page and JSON are already kept rendered
(front.public_cache). What remained per view was the request stack around the cache read: a dozen middlewares,
URL resolution and the view, about half of the CPU of each view. This middleware sits early in the chain (after
the security headers, the Content-Security-Policy and the API's CORS, which still run as usual) and answers a
request itself when all of these hold:

- it is a GET or HEAD of exactly a petition's page or its JSON (`petitions:detail`, `petitions:api_detail`),
  with no query string;
- it carries no session and no messages cookie: nobody is signed in, and no message waits to be shown;
- the host is allowed and nothing else would redirect or refuse it (CommonMiddleware's own check);
- the cache holds a fresh copy for the reader's language (one cache read).

Anything else (a miss, a stale copy, the cache down, a signed-in moderator, a draft, a query string, a POST)
goes down the whole stack unchanged, which renders, rebuilds or refuses as before. What the middlewares it
stands in for would do to such a response is done by calling those middlewares' own hooks (language,
host check, CSRF cookie, X-Frame-Options, Content-Length); the others do nothing for a cookieless GET of these
paths, and the chain is checked at start-up so that a middleware added later cannot be skipped unnoticed.
The response itself is built by the view's own functions (public_cache.page_response, json_response): the
same ETag, 304, Cache-Control and Vary, and each reader's own CSRF token in the form.
"""

import re

from django.conf import settings
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.exceptions import DisallowedHost, ImproperlyConfigured, PermissionDenied
from django.http import HttpRequest, HttpResponseBase
from django.middleware.clickjacking import XFrameOptionsMiddleware
from django.middleware.common import CommonMiddleware
from django.middleware.csrf import CsrfViewMiddleware
from django.middleware.locale import LocaleMiddleware
from django.urls import get_script_prefix, resolve, reverse

from front import public_cache

THIS = "front.kept_reads.KeptReadsMiddleware"
# The middlewares after this one whose hooks a kept answer calls itself.
CALLED = {
    "django.middleware.locale.LocaleMiddleware": LocaleMiddleware,
    "django.middleware.common.CommonMiddleware": CommonMiddleware,
    "django.middleware.csrf.CsrfViewMiddleware": CsrfViewMiddleware,
    "django.middleware.clickjacking.XFrameOptionsMiddleware": XFrameOptionsMiddleware,
}
# The middlewares after this one that do nothing to a cookieless GET of a kept page or JSON, and why.
IDLE = {
    "whitenoise.middleware.WhiteNoiseMiddleware": "serves STATIC_URL only",
    "django.contrib.sessions.middleware.SessionMiddleware": "no session cookie, and nothing reads the session",
    "undersigned.middleware.Utf8FormsOnly": "looks at forms sent by POST only",
    "django.contrib.auth.middleware.AuthenticationMiddleware": "no session: the reader is anonymous",
    "django.contrib.messages.middleware.MessageMiddleware": "no messages cookie, no session: nothing to show",
    "allauth.account.middleware.AccountMiddleware": "acts on its own 404s and exceptions only",
}
SLUG = "[-a-zA-Z0-9_]+"  # Django's <slug:> converter
PROBE = "kept-reads-probe"


class KeptReadsMiddleware:
    def __init__(self, get_response):
        after = list(settings.MIDDLEWARE)
        after = after[after.index(THIS) + 1 :] if THIS in after else []
        unknown = [name for name in after if name not in CALLED and name not in IDLE]
        if unknown:
            raise ImproperlyConfigured(
                f"{THIS} answers kept pages without the middlewares after it, and does not know what "
                f"{', '.join(unknown)} would do to them: place it after them, or teach it (front/kept_reads.py)."
            )
        missing = [name for name in CALLED if name not in after]
        if missing:
            raise ImproperlyConfigured(f"{THIS} must come before {', '.join(missing)}, whose hooks it calls.")
        self.get_response = get_response
        self.locale = LocaleMiddleware(get_response)
        self.common = CommonMiddleware(get_response)
        self.csrf = CsrfViewMiddleware(get_response)
        self.xframe = XFrameOptionsMiddleware(get_response)
        self.routes: list[tuple[re.Pattern, str]] | None = None

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        kind_and_slug = self.kept_kind(request)
        if kind_and_slug is not None:
            response = self.answer(request, *kind_and_slug)
            if response is not None:
                return response
        return self.get_response(request)

    def kept_kind(self, request: HttpRequest) -> tuple[str, str] | None:
        """("page" or "api", slug) for a cookieless GET/HEAD of a kept path; None for anything else."""
        if request.method not in ("GET", "HEAD") or request.META.get("QUERY_STRING"):
            return None
        cookies = request.COOKIES
        if settings.SESSION_COOKIE_NAME in cookies or CookieStorage.cookie_name in cookies:
            return None
        if self.routes is None:
            self.routes = self.kept_routes()
        for pattern, kind in self.routes:
            match = pattern.fullmatch(request.path_info)
            if match:
                return kind, match.group(1)
        return None

    def kept_routes(self) -> list[tuple[re.Pattern, str]]:
        """The page's and the JSON's paths, as the URLconf spells them (checked to resolve to their views)."""
        from front.views.api import api_petition
        from front.views.pages import detail

        routes = []
        for name, kind, view in (("petitions:detail", "page", detail), ("petitions:api_detail", "api", api_petition)):
            path = "/" + reverse(name, args=[PROBE]).removeprefix(get_script_prefix())
            if resolve(path).func is not view:  # another pattern answers this path first: leave it to the stack
                continue
            before, after = path.split(PROBE)
            routes.append((re.compile(re.escape(before) + f"({SLUG})" + re.escape(after)), kind))
        return routes

    def answer(self, request: HttpRequest, kind: str, slug: str) -> HttpResponseBase | None:
        """The kept answer, with the headers the whole stack would give it; None to leave it to the stack."""
        try:
            if self.common.process_request(request) is not None:
                return None  # a redirect the stack will make
        except (DisallowedHost, PermissionDenied):
            return None  # the stack refuses it, in its own words
        self.locale.process_request(request)
        copy = public_cache.fresh_copy(kind, slug)
        if copy is None:
            return None
        if kind == "page":
            self.csrf.process_request(request)
            response = public_cache.page_response(request, copy)
        else:
            response = public_cache.json_response(request, copy)
        response = self.xframe.process_response(request, response)
        response = self.csrf.process_response(request, response)
        response = self.common.process_response(request, response)
        return self.locale.process_response(request, response)
