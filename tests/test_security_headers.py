"""The Content-Security-Policy middleware (undersigned.middleware.ContentSecurityPolicy) keeps the policy it built,
and gives every response exactly the header django-csp's own middleware gives it: plain, tailored by a view,
report-only, excluded, exempt, with a nonce, and after the settings change."""

import pytest
from csp.decorators import csp_exempt, csp_update
from csp.middleware import CSPMiddleware
from django.http import HttpResponse
from django.template import engines
from django.test import RequestFactory

from front.framing import frameable
from undersigned.middleware import ContentSecurityPolicy

HEADERS = ("Content-Security-Policy", "Content-Security-Policy-Report-Only")


def plain(request):
    return HttpResponse("plain")


def with_nonce(request):
    return HttpResponse(
        engines["django"].from_string("<script nonce='{{ request.csp_nonce }}'></script>").render({"request": request})
    )


VIEWS = {
    "plain": plain,
    "frameable": frameable(plain),
    "updated": csp_update({"img-src": ["https://images.example"]})(plain),
    "exempt": csp_exempt()(plain),
    "nonce": with_nonce,
}


def headers(middleware, view, path="/petitions/x/") -> dict:
    response = middleware(view)(RequestFactory().get(path))
    return {name: response.get(name) for name in HEADERS}


@pytest.mark.parametrize("view", VIEWS)
def test_every_response_gets_the_header_django_csp_gives_it(view):
    ours, theirs = headers(ContentSecurityPolicy, VIEWS[view]), headers(CSPMiddleware, VIEWS[view])
    assert ours == theirs
    if view != "exempt":
        assert "frame-ancestors" in ours["Content-Security-Policy"]


def test_a_policy_kept_is_built_again_when_the_settings_change(settings):
    before = headers(ContentSecurityPolicy, plain)
    settings.CONTENT_SECURITY_POLICY = {"DIRECTIVES": {"default-src": ["'self'", "https://cdn.example"]}}
    settings.CONTENT_SECURITY_POLICY_REPORT_ONLY = {"DIRECTIVES": {"script-src": ["'none'"]}}
    after = headers(ContentSecurityPolicy, plain)
    assert after != before
    assert after == headers(CSPMiddleware, plain)
    assert "cdn.example" in after["Content-Security-Policy"] and after["Content-Security-Policy-Report-Only"]


def test_excluded_prefixes_are_left_without_the_header_as_by_django_csp(settings):
    settings.CONTENT_SECURITY_POLICY = {
        "EXCLUDE_URL_PREFIXES": ["/excluded/"],
        "DIRECTIVES": {"default-src": ["'self'"]},
    }
    assert headers(ContentSecurityPolicy, plain, "/excluded/x") == headers(CSPMiddleware, plain, "/excluded/x")
    assert headers(ContentSecurityPolicy, plain, "/excluded/x")["Content-Security-Policy"] is None


def test_a_nonce_asked_for_after_the_header_is_written_is_an_error_as_with_django_csp():
    from csp.exceptions import CSPNonceError

    request = RequestFactory().get("/")
    ContentSecurityPolicy(plain)(request)
    with pytest.raises(CSPNonceError):
        str(request.csp_nonce)
