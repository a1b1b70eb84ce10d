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
