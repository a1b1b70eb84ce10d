"""`undersigned.serving.application`: what the production server hands Django for each request.

granian starts each request's environ from a copy of the process's environment (as `basic_env | scope` below
does); the environ handed to Django becomes `request.META`, so what is left in it after the request is what any
view, error report or template could have seen.
"""

import io
import os

import pytest

from undersigned import serving


def environ_as_granian_builds_it(**request: str) -> dict:
    scope = {
        "REQUEST_METHOD": "GET", "PATH_INFO": "/privacy/", "QUERY_STRING": "", "SERVER_NAME": "localhost",
        "SERVER_PORT": "8000", "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "127.0.0.1", "HTTP_HOST": "localhost",
        "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(b""),
    }  # fmt: skip
    return dict(os.environ) | {"SCRIPT_NAME": "", "wsgi.errors": io.StringIO()} | scope | request


def serve(environ: dict) -> str:
    statuses = []
    body = b"".join(serving.application(environ, lambda status, headers, exc_info=None: statuses.append(status)))
    assert body
    return statuses[0]


@pytest.mark.django_db
def test_the_process_environment_never_reaches_a_request():
    assert os.environ["SECRET_KEY"] and os.environ["DATABASE_URL"]  # `make test` sets both
    environ = environ_as_granian_builds_it()
    assert serve(environ) == "200 OK"
    assert not {"SECRET_KEY", "DATABASE_URL", "PATH"} & environ.keys()
    assert environ["PATH_INFO"] == "/privacy/" and environ["HTTP_HOST"] == "localhost"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("peer", "believed"),
    [
        ("127.0.0.1", True),
        ("::1", True),
        ("::ffff:127.0.0.1", True),
        ("203.0.113.5", False),
        ("::ffff:203.0.113.5", False),
        ("10.0.0.1", False),
        ("", False),
    ],
)
def test_x_forwarded_proto_is_kept_only_from_the_proxies_in_forwarded_allow_ips(peer, believed):
    environ = environ_as_granian_builds_it(REMOTE_ADDR=peer, HTTP_X_FORWARDED_PROTO="https")
    serve(environ)
    assert ("HTTP_X_FORWARDED_PROTO" in environ) is believed


@pytest.mark.django_db
@pytest.mark.parametrize(("peer", "believed"), [("127.0.0.1", True), ("::1", True), ("203.0.113.5", False)])
def test_the_client_address_headers_are_kept_only_from_the_proxies(peer, believed, settings, caplog):
    """A client reaching the web server directly cannot name another address to slip past a per-IP limit."""
    settings.RATELIMIT_IP_META_KEY = "HTTP_X_REAL_IP"
    settings.ALLAUTH_TRUSTED_CLIENT_IP_HEADER = "X-Client-IP"
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    serving._dropped_logged_at = -serving._DROPPED_LOG_EVERY  # this test's warning is not held back by another's
    named = {"HTTP_X_REAL_IP": "198.51.100.7", "HTTP_X_CLIENT_IP": "198.51.100.7", "HTTP_X_FORWARDED_FOR": "1.2.3.4"}
    environ = environ_as_granian_builds_it(REMOTE_ADDR=peer, **named)
    serve(environ)
    assert all((key in environ) is believed for key in named)
    dropped = [record.getMessage() for record in caplog.records if record.name == "undersigned.serving"]
    assert bool(dropped) is not believed
    if dropped:
        assert peer in dropped[0] and "FORWARDED_ALLOW_IPS" in dropped[0] and "HTTP_X_REAL_IP" in dropped[0]


@pytest.mark.django_db
def test_without_limits_reading_a_header_only_the_forwarded_proto_is_policed(settings):
    settings.RATELIMIT_IP_META_KEY = None
    environ = environ_as_granian_builds_it(REMOTE_ADDR="203.0.113.5", HTTP_X_REAL_IP="198.51.100.7")
    serve(environ)
    assert environ["HTTP_X_REAL_IP"] == "198.51.100.7"  # nothing reads it: left as sent


@pytest.mark.django_db
def test_a_signer_whose_address_header_was_dropped_is_limited_by_their_own_address(client, letter, settings):
    """Behind the policing above, a direct client's X-Real-IP is gone: the limits fall back to REMOTE_ADDR, so a
    client meets its own per-IP limit, and another client still has its own (not one budget for "no header")."""
    from tests.support.signer import form

    settings.RATELIMIT_IP_META_KEY = "HTTP_X_REAL_IP"
    settings.SIGN_RATE_PER_IP = "2/h"

    def sign(n: int, peer: str) -> int:
        response = client.post(f"/petitions/{letter.slug}/sign/", form(email=f"s{n}@example.org"), REMOTE_ADDR=peer)
        return response.status_code

    assert [sign(n, "203.0.113.9") for n in range(3)] == [200, 200, 429]
    assert sign(3, "198.51.100.20") == 200


def test_a_web_process_starts_with_its_urls_loaded_and_what_it_loaded_out_of_the_collectors_sight():
    """In a fresh process, as the web server starts one: importing the application loads the URLconf and the
    views, then freezes what is loaded, so the full collections a busy process makes no longer rescan it all."""
    import subprocess
    import sys
    from pathlib import Path

    probe = (
        "import gc, sys\n"
        "from undersigned import serving\n"
        "print('front.views.signing' in sys.modules, gc.get_freeze_count(), len(gc.get_objects()))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=Path(__file__).resolve().parent.parent,
        env=os.environ | {"DJANGO_SETTINGS_MODULE": "undersigned.settings"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    loaded, frozen, tracked = result.stdout.split()
    assert loaded == "True" and int(frozen) > 50_000 and int(tracked) < 1_000
