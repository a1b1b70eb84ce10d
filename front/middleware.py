"""Cross-origin reads of the public JSON API (CORS), so counters can be built on any site.

Only `/api/` answers other origins, only to GET, HEAD and their preflight (OPTIONS), and never with
credentials: the API shows public data only, so `*` is safe there. Every other path sends no CORS header,
so a browser keeps other sites from reading the pages (and the moderators' panel) with a visitor's cookies.
Other methods on `/api/` are refused by the views themselves (405).
"""

from django.http import HttpResponse

API_PREFIX = "/api/"
ALLOWED_METHODS = "GET, HEAD, OPTIONS"
# Request headers a cross-origin script may send (conditional GETs against the API's ETags).
ALLOWED_HEADERS = "If-None-Match, If-Modified-Since"
PREFLIGHT_MAX_AGE = str(24 * 3600)


class PublicApiCorsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith(API_PREFIX):
            return self.get_response(request)
        if request.method == "OPTIONS":
            response = HttpResponse(status=204)
            response["Allow"] = ALLOWED_METHODS
            if request.headers.get("Access-Control-Request-Method") in ("GET", "HEAD"):
                response["Access-Control-Allow-Origin"] = "*"
                response["Access-Control-Allow-Methods"] = ALLOWED_METHODS
                response["Access-Control-Allow-Headers"] = ALLOWED_HEADERS
                response["Access-Control-Max-Age"] = PREFLIGHT_MAX_AGE
            return response
        response = self.get_response(request)
        if request.method in ("GET", "HEAD"):
            response["Access-Control-Allow-Origin"] = "*"
            response["Access-Control-Expose-Headers"] = "ETag"
        return response
