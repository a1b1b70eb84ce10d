"""The WSGI application as the production web server (granian, `bin/web`) hands it each request.

Two things a server used to do for us, done here once for any server:

- **The process's environment stays out of requests.** granian starts every request's environ from a copy of
  the process's environment, as CGI did: without this, `SECRET_KEY`, `DATABASE_URL` (with its password) and
  every other setting would be in each `request.META`, one error report or debug print away from a leak.
- **The proxy's headers are believed only from the reverse proxy.** Behind a TLS proxy (`BEHIND_TLS_PROXY`),
  Django takes X-Forwarded-Proto as the request's scheme (`SECURE_PROXY_SSL_HEADER`); the signing limits take the
  client's address from the header named by `RATELIMIT_IP_META_KEY`, and the moderators' login limits from
  `ALLAUTH_TRUSTED_CLIENT_IP_HEADER` or X-Forwarded-For (`ALLAUTH_TRUSTED_PROXY_COUNT`). Each is dropped from any
  peer that is not one of `FORWARDED_ALLOW_IPS`, so a client reaching the server directly can neither claim HTTPS
  nor name another address to slip past a per-IP limit (it is then limited by its own address). A dropped client
  header is logged, once a minute at most: behind a proxy missing from `FORWARDED_ALLOW_IPS`, every client would
  otherwise count as the proxy, silently.

Costs about 3 µs a request (the environ's keys are compared with a set made at start).
"""

import gc
import ipaddress
import logging
import os
import time
from functools import lru_cache

from django.conf import settings
from django.urls import get_resolver

from undersigned.wsgi import application as django_application

# The keys a WSGI server itself puts in a request's environ (PEP 3333 and CGI); a process variable of the same
# name is overwritten by the request's own value, so it is never dropped.
_REQUEST_KEYS = frozenset({
    "REQUEST_METHOD", "SCRIPT_NAME", "PATH_INFO", "QUERY_STRING", "CONTENT_TYPE", "CONTENT_LENGTH", "SERVER_NAME",
    "SERVER_PORT", "SERVER_PROTOCOL", "REMOTE_ADDR", "REMOTE_PORT", "RAW_URI", "REQUEST_URI", "GATEWAY_INTERFACE",
    "SERVER_SOFTWARE",
})  # fmt: skip
_PROCESS_KEYS = tuple(key for key in os.environ if key not in _REQUEST_KEYS and not key.startswith("HTTP_"))

logger = logging.getLogger(__name__)


def _meta_key(header: str | None) -> str | None:
    """The environ key of a request header named as HTTP sends it (`X-Real-IP` → `HTTP_X_REAL_IP`)."""
    return f"HTTP_{header.upper().replace('-', '_')}" if header else None


@lru_cache(maxsize=8)
def _proxy_keys(meta_key: str | None, client_header: str | None, proxy_count: int) -> tuple[tuple, frozenset]:
    """What only the proxy may tell: the scheme, and the headers the limits read the client's address from (the
    latter apart, to log when one is dropped). From the settings, once per process (and per test's settings)."""
    client = {
        meta_key if (meta_key or "").startswith("HTTP_") else None,
        _meta_key(client_header),
        "HTTP_X_FORWARDED_FOR" if proxy_count else None,
    } - {None}
    return ("HTTP_X_FORWARDED_PROTO", *sorted(client)), frozenset(client)


_DROPPED_LOG_EVERY = 60.0  # seconds
_dropped_logged_at = -_DROPPED_LOG_EVERY

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
    proxy_keys, client_keys = _proxy_keys(
        settings.RATELIMIT_IP_META_KEY, settings.ALLAUTH_TRUSTED_CLIENT_IP_HEADER, settings.ALLAUTH_TRUSTED_PROXY_COUNT
    )
    sent = [key for key in proxy_keys if key in environ]
    if sent and not from_a_proxy(environ.get("REMOTE_ADDR", "")):
        for key in sent:
            del environ[key]
        if client_keys.intersection(sent):
            _log_dropped(environ.get("REMOTE_ADDR", ""), sent)
    return django_application(environ, start_response)


def _log_dropped(peer: str, keys: list[str]) -> None:
    global _dropped_logged_at
    now = time.monotonic()
    if now - _dropped_logged_at < _DROPPED_LOG_EVERY:
        return
    _dropped_logged_at = now
    logger.warning(
        "Ignored %s from %s, which is not in FORWARDED_ALLOW_IPS: if it is your reverse proxy, list it there, or "
        "every client counts as the proxy in the rate limits (logged once a minute at most).",
        ", ".join(keys),
        peer or "an unknown peer",
    )


def _settle() -> None:
    """Once per web server process, before its first request: the URLconf loaded (the views it imports, and its
    reverse map), as the first request would, then everything loaded so far moved out of the cyclic garbage
    collector's sight (gc.freeze). A process holds some 120,000 such objects (Django, the apps, the URLs) for its
    whole life: each full collection scanned them all again, a 40–50 ms pause of every thread of the process
    every few thousand requests, and about 0.02 ms of CPU a signing on average. They are still freed by reference
    counting if dropped; what requests create is collected as before."""
    get_resolver().reverse_dict  # noqa: B018 (populates the URLconf)
    gc.collect()
    gc.freeze()


_settle()
