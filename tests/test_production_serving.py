"""Production serving, with the real processes `make serve` starts, on loopback ports of this machine.

The web server is `bin/web` (granian, configured by bin/web_server.py), DEBUG off, on the test database, after
`collectstatic` into a temporary STATIC_ROOT; `bin/production` is the whole stack (web, worker, beat).
Every process is started in a session of its own and stopped, with all its children, by the fixture or test
that started it.
"""

import http.client
import json
import os
import shelve
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import NamedTuple
from urllib.parse import quote

import pytest

from tests.support.factories import make_petition
from tests.test_configuration import python

ROOT = Path(__file__).resolve().parent.parent
BOOT_TIMEOUT = 30

# A test whose server process reaches the test database: the database must exist, and rows the test writes must
# be committed for that process to see them.
on_the_test_database = pytest.mark.django_db(transaction=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Reply(NamedTuple):
    status: int
    headers: http.client.HTTPMessage
    body: bytes


def request(port: int, path: str, headers: dict | None = None, timeout: float = 5) -> Reply:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", path, headers={"Host": "localhost", **(headers or {})})
        response = connection.getresponse()
        return Reply(response.status, response.headers, response.read())
    finally:
        connection.close()


def production_env(tmp: Path, **extra: str) -> dict:
    """The environment of the tests' run, pointed at the test database, DEBUG off, on a free loopback port."""
    from django.db import connection

    db = connection.settings_dict
    if connection.vendor != "postgresql" or not db["NAME"].startswith("test_"):
        pytest.fail("the serving tests need the PostgreSQL test database: run them with `make test`")
    password = f":{quote(db['PASSWORD'], safe='')}" if db["PASSWORD"] else ""
    env = dict(os.environ)
    env.update(
        DATABASE_URL=f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        SECRET_KEY=env.get("SECRET_KEY") or "tests-only-not-secret",
        DEBUG="0",
        HOST="127.0.0.1",
        PORT=str(free_port()),
        STATIC_ROOT=str(tmp / "static"),
        STATE_DIR=str(tmp / "state"),
        ALLOWED_HOSTS="localhost,127.0.0.1",
        SECURE_HSTS_SECONDS="3600",  # the header is sent on secure requests only: it shows what the site believes
        PYTHONUNBUFFERED="1",
    )
    for name in ("BEHIND_TLS_PROXY", "SECURE_SSL_REDIRECT", "WEB_CONCURRENCY", "WEB_THREADS", "STATIC_MANIFEST"):
        env.pop(name, None)
    env.update(extra)
    return env


def collectstatic(env: dict) -> None:
    """As bin/production does before starting the web server."""
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput"],
        env={**env, "STATIC_MANIFEST": "1"},
        cwd=ROOT,
        check=True,
        capture_output=True,
        timeout=60,
    )


def start(command: list[str], env: dict, log: Path) -> subprocess.Popen:
    """Start in a session of its own (so the whole group can be stopped) and wait until the site answers."""
    with open(log, "w") as out:
        process = subprocess.Popen(
            command, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    deadline = time.monotonic() + BOOT_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"{command[0]} stopped at start:\n{log.read_text()[-3000:]}")
        try:
            request(int(env["PORT"]), "/", timeout=2)
            return process
        except OSError:
            time.sleep(0.2)
    stop(process)
    pytest.fail(f"{command[0]} did not answer within {BOOT_TIMEOUT}s:\n{log.read_text()[-3000:]}")


def group_alive(process: subprocess.Popen) -> bool:
    try:
        os.killpg(process.pid, 0)
    except ProcessLookupError:
        return False
    return True


def stop(process: subprocess.Popen, sig: int = signal.SIGTERM, timeout: float = 30) -> None:
    """Signal the process and wait until neither it nor anything it started is left; kill what overstays."""
    if process.poll() is None:
        process.send_signal(sig)
    deadline = time.monotonic() + timeout
    while (process.poll() is None or group_alive(process)) and time.monotonic() < deadline:
        time.sleep(0.1)
    if group_alive(process):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)


@pytest.fixture(scope="module")
def web(django_db_setup, tmp_path_factory):
    """`bin/web` as `make serve` starts it, with the environment's defaults (no TLS proxy)."""
    tmp = tmp_path_factory.mktemp("web")
    env = production_env(tmp)
    collectstatic(env)
    server = start([str(ROOT / "bin" / "web")], env, tmp / "web.log")
    server.port = int(env["PORT"])
    server.static_root = Path(env["STATIC_ROOT"])
    server.log = tmp / "web.log"
    yield server
    stop(server)


def hashed_name(static_root: Path, name: str) -> str:
    return json.loads((static_root / "staticfiles.json").read_text())["paths"][name]


@on_the_test_database
def test_static_files_are_served_by_the_web_server_hashed_compressed_and_cached_for_a_year(web):
    plain = request(web.port, "/static/admin/css/base.css")
    assert plain.status == 200 and b"body" in plain.body

    hashed = request(
        web.port, f"/static/{hashed_name(web.static_root, 'admin/css/base.css')}", {"Accept-Encoding": "gzip"}
    )
    assert hashed.status == 200
    assert "max-age=315360000" in hashed.headers["Cache-Control"] and "immutable" in hashed.headers["Cache-Control"]
    assert hashed.headers["Content-Encoding"] == "gzip"


@on_the_test_database
def test_the_pages_come_from_the_database_and_link_the_hashed_static_files(web, client, admin_user):
    make_petition(title="Open letter served by the production server")
    home = request(web.port, "/")
    assert home.status == 200 and b"Open letter served by the production server" in home.body

    client.force_login(admin_user)
    admin = request(web.port, "/admin/", {"Cookie": f"sessionid={client.cookies['sessionid'].value}"})
    assert admin.status == 200
    assert f"/static/{hashed_name(web.static_root, 'admin/css/base.css')}".encode() in admin.body


@on_the_test_database
def test_slow_and_idle_clients_do_not_hold_up_a_normal_request(web):
    # More than the server has threads (WEB_CONCURRENCY 2 x WEB_THREADS 8 by default): half send half a
    # request and then nothing (slowloris), half make a request and keep the connection open without another.
    held = []
    try:
        for n in range(64):
            s = socket.create_connection(("127.0.0.1", web.port), timeout=5)
            if n % 2:
                s.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\nX-Still-Typing: ")
            else:
                s.sendall(b"GET /static/admin/css/base.css HTTP/1.1\r\nHost: localhost\r\n\r\n")
                assert s.recv(12) == b"HTTP/1.1 200"
            held.append(s)
        time.sleep(0.5)
        for _ in range(4):
            started = time.monotonic()
            assert request(web.port, "/static/admin/css/base.css", timeout=5).status == 200
            assert request(web.port, "/", timeout=5).status == 200
            assert time.monotonic() - started < 5
    finally:
        for s in held:
            s.close()


@on_the_test_database
def test_each_request_is_logged_on_standard_output(web):
    assert request(web.port, "/static/admin/css/base.css?logged").status == 200
    deadline = time.monotonic() + 5
    while b"GET /static/admin/css/base.css" not in web.log.read_bytes() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert b'"GET /static/admin/css/base.css HTTP/1.1" 200' in web.log.read_bytes()


@on_the_test_database
def test_x_forwarded_proto_is_ignored_unless_behind_a_tls_proxy(web):
    forwarded = request(web.port, "/", {"X-Forwarded-Proto": "https"})
    assert forwarded.status == 200
    assert "Strict-Transport-Security" not in forwarded.headers


@on_the_test_database
def test_behind_a_tls_proxy_x_forwarded_proto_https_makes_the_request_secure(django_db_setup, tmp_path):
    env = production_env(tmp_path, BEHIND_TLS_PROXY="1", WEB_CONCURRENCY="1", WEB_THREADS="2", WEB_ACCESS_LOG="0")
    collectstatic(env)
    server = start([str(ROOT / "bin" / "web")], env, tmp_path / "web.log")
    try:
        forwarded = request(int(env["PORT"]), "/", {"X-Forwarded-Proto": "https"})
        assert forwarded.headers["Strict-Transport-Security"] == "max-age=3600"
        assert "Strict-Transport-Security" not in request(int(env["PORT"]), "/").headers
    finally:
        stop(server)
    assert b"GET / HTTP/1.1" not in (tmp_path / "web.log").read_bytes()  # WEB_ACCESS_LOG=0: no access log


@on_the_test_database
def test_behind_a_tls_proxy_x_forwarded_proto_from_any_other_peer_is_ignored(django_db_setup, tmp_path):
    env = production_env(
        tmp_path, BEHIND_TLS_PROXY="1", FORWARDED_ALLOW_IPS="192.0.2.7,10.0.0.0/8", WEB_CONCURRENCY="1", WEB_THREADS="2"
    )
    collectstatic(env)
    server = start([str(ROOT / "bin" / "web")], env, tmp_path / "web.log")
    try:
        forwarded = request(int(env["PORT"]), "/", {"X-Forwarded-Proto": "https"})
        assert forwarded.status == 200 and "Strict-Transport-Security" not in forwarded.headers
    finally:
        stop(server)


@on_the_test_database
def test_the_whole_stack_serves_schedules_the_periodic_tasks_and_stops_together_on_term(django_db_setup, tmp_path):
    # An in-memory broker keeps this worker and beat away from the queue the worker tests share.
    env = production_env(tmp_path, CELERY_BROKER_URL="memory://")
    stack = start([str(ROOT / "bin" / "production")], env, tmp_path / "production.log")
    try:
        assert request(int(env["PORT"]), "/static/admin/css/base.css").status == 200
        schedule = tmp_path / "state" / "celerybeat-schedule"
        deadline = time.monotonic() + BOOT_TIMEOUT
        while not list(schedule.parent.glob(schedule.name + "*")) and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        stop(stack)
    assert stack.returncode == 0, (tmp_path / "production.log").read_text()[-3000:]
    assert not group_alive(stack)
    with shelve.open(str(schedule), flag="r") as beat:
        entry = beat["entries"]["expire-roster-challenges"]
    assert entry.task == "verification.tasks.expire_roster_challenges"
    assert entry.schedule.run_every.total_seconds() == 15 * 60


def test_production_refuses_to_start_without_a_secret_key_or_a_broker(tmp_path):
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path)}
    result = subprocess.run([str(ROOT / "bin" / "production")], env=env, cwd=ROOT, capture_output=True, text=True)
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr and "CELERY_BROKER_URL" in result.stderr


def test_web_refuses_to_start_without_collected_static_files(tmp_path):
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "SECRET_KEY": "x", "STATIC_ROOT": str(tmp_path)}
    result = subprocess.run([str(ROOT / "bin" / "web")], env=env, cwd=ROOT, capture_output=True, text=True, timeout=30)
    assert result.returncode != 0
    assert "No static files manifest" in result.stderr and "collectstatic" in result.stderr


@pytest.mark.parametrize(
    ("variable", "value", "says"),
    [
        ("WEB_CONCURRENCY", "0", "WEB_CONCURRENCY must be at least 1"),
        ("WEB_THREADS", "lots", "WEB_THREADS must be a whole number"),
        ("WORKER_CONCURRENCY", "-2", "WORKER_CONCURRENCY must be at least 1"),
        ("PORT", "http", "PORT must be a whole number"),
        ("FORWARDED_ALLOW_IPS", "127.0.0.1,10.0.0.1/8", "FORWARDED_ALLOW_IPS must list IP addresses or networks"),
        ("STATIC_MANIFEST", "perhaps", "STATIC_MANIFEST must be one of"),
    ],
)
def test_a_bad_server_setting_stops_the_start_naming_the_variable(variable, value, says):
    result = python("import django; django.setup()", **{"DEBUG": "1", variable: value})
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and says in result.stderr
