"""The WSGI application as the production web server (granian, `bin/web`) hands it each request.

Two things a server used to do for us, done here once for any server:

- **The process's environment stays out of requests.** granian starts every request's environ from a copy of
  the process's environment, as CGI did: without this, `SECRET_KEY`, `DATABASE_URL` (with its password) and
  every other setting would be in each `request.META`, one error report or debug print away from a leak.
- **X-Forwarded-Proto is believed only from the reverse proxy.** Behind a TLS proxy (`BEHIND_TLS_PROXY`),
  Django takes the header as the request's scheme (`SECURE_PROXY_SSL_HEADER`); the header is dropped from any
  peer that is not one of `FORWARDED_ALLOW_IPS`, so a client reaching the server directly cannot claim HTTPS.

Costs about 3 µs a request (the environ's keys are compared with a set made at start).
"""

import ipaddress
import os

from django.conf import settings

from undersigned.wsgi import application as django_application

# The keys a WSGI server itself puts in a request's environ (PEP 3333 and CGI); a process variable of the same
# name is overwritten by the request's own value, so it is never dropped.
_REQUEST_KEYS = frozenset({
    "REQUEST_METHOD", "SCRIPT_NAME", "PATH_INFO", "QUERY_STRING", "CONTENT_TYPE", "CONTENT_LENGTH", "SERVER_NAME",
    "SERVER_PORT", "SERVER_PROTOCOL", "REMOTE_ADDR", "REMOTE_PORT", "RAW_URI", "REQUEST_URI", "GATEWAY_INTERFACE",
    "SERVER_SOFTWARE",
})  # fmt: skip
_PROCESS_KEYS = tuple(key for key in os.environ if key not in _REQUEST_KEYS and not key.startswith("HTTP_"))

_TRUST_EVERY_PEER = settings.FORWARDED_ALLOW_IPS == ["*"]
_PROXIES = tuple(ipaddress.ip_network(network) for network in settings.FORWARDED_ALLOW_IPS if network != "*")


def from_a_proxy(peer: str) -> bool:
    """Whether `peer` (the connection's address) is one of the reverse proxies in FORWARDED_ALLOW_IPS."""
    if _TRUST_EVERY_PEER:
        return True
    try:
        address = ipaddress.ip_address(peer)
    except ValueError:  # no address: nothing to believe
        return False
    if address.version == 6 and address.ipv4_mapped:  # an IPv4 client of a server bound to `::`
        address = address.ipv4_mapped
    return any(address in network for network in _PROXIES)


def application(environ, start_response):
    for key in _PROCESS_KEYS:
        environ.pop(key, None)
    if "HTTP_X_FORWARDED_PROTO" in environ and not from_a_proxy(environ.get("REMOTE_ADDR", "")):
        del environ["HTTP_X_FORWARDED_PROTO"]
    return django_application(environ, start_response)
