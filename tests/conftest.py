"""Shared fixtures: eager tasks for unit tests, and for workflow tests a real SMTP sink and Celery worker."""

import os
import socket
import subprocess
import sys
import threading
import time
from email import message_from_bytes
from email.message import Message
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from django.core.cache import cache

from abuse import rules
from front import kept_petitions, public_cache
from tests.support import queued, stack
from tests.support.factories import make_affiliation, make_petition
from tests.support.signer import Signer
from undersigned.catalogues import compile_catalogues
from undersigned.celery import app as celery_app

ROOT = Path(__file__).resolve().parent.parent


def pytest_configure(config):
    """The translations Django reads (.mo) are compiled from the .po files in git before any test runs."""
    compile_catalogues()


@pytest.fixture(autouse=True)
def _tasks_in_process_unless_a_worker_runs(request):
    """Unit tests run task bodies eagerly; tests marked `worker` send them to the real worker."""
    celery_app.conf.task_always_eager = "worker" not in request.keywords
    yield
    celery_app.conf.task_always_eager = True


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rate-limit counters live in the (real) cache; each test starts from zero. So does what this process keeps of
    the operators' rules (abuse.rules), of the kept pages (front.public_cache) and of the petitions signing reads
    (front.kept_petitions): a test's rows are rolled back without the signals that forget them."""
    cache.clear()
    rules.forget()
    public_cache.forget_all_held()
    kept_petitions.forget()
    yield
    cache.clear()
    rules.forget()
    public_cache.forget_all_held()
    kept_petitions.forget()


@pytest.fixture
def settled():
    """`with settled(): ...` runs the tasks queued inside (emails, claim checks) as production would."""
    return queued.settled


@pytest.fixture
def artists(db):
    """The affiliation of the story: members of an early-access artists' programme."""
    return make_affiliation("sora-alpha-artist", name="Sora alpha artists")


@pytest.fixture
def letter(artists):
    """An open letter on which signers may claim `artists`."""
    return make_petition(affiliations=[artists])


@pytest.fixture
def signer(client, mailoutbox, django_capture_on_commit_callbacks) -> Signer:
    """A member of the public with a browser and a mailbox."""
    return Signer(client, django_capture_on_commit_callbacks)


class SmtpSink:
    """A real SMTP server on a free local port that keeps every message it receives."""

    def __init__(self):
        self.messages: list[Message] = []
        self.peers: list[tuple] = []  # per message, the client's (host, port): one port per SMTP connection
        self._lock = threading.Lock()
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        with self._lock:
            self.messages.append(message_from_bytes(envelope.content))
            self.peers.append(tuple(session.peer))
        return "250 Message accepted"

    def clear(self) -> None:
        with self._lock:
            self.messages.clear()
            self.peers.clear()

    def connections(self) -> int:
        """How many SMTP connections delivered the messages kept."""
        with self._lock:
            return len(set(self.peers))

    def to(self, address: str) -> list[Message]:
        with self._lock:
            return [m for m in self.messages if address in m["To"]]

    def wait_for(self, address: str, count: int = 1, timeout: float = 30) -> list[Message]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.to(address)
            if len(found) >= count:
                return found
            time.sleep(0.05)
        raise AssertionError(f"no email to {address} within {timeout}s (got {len(self.to(address))})")


@pytest.fixture(scope="session")
def smtp_server():
    sink = SmtpSink()
    sink.controller.start()
    yield sink
    sink.controller.stop()


@pytest.fixture
def smtp_sink(smtp_server):
    """The real SMTP server the worker sends to, emptied for each test."""
    smtp_server.clear()
    return smtp_server


@pytest.fixture(scope="session")
def celery_worker(django_db_setup, django_db_blocker, smtp_server, tmp_path_factory):
    """A real `celery worker` process on the test database, the Redis broker and the SMTP sink."""
    from django.db import connection

    db = connection.settings_dict
    env = dict(os.environ)
    env.update(
        DATABASE_URL=f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        EMAIL_URL=f"smtp://127.0.0.1:{smtp_server.port}",
        SITE_URL="http://testserver",
        PYTHONUNBUFFERED="1",
    )
    if not db["NAME"].startswith("test_") or not env.get("CELERY_BROKER_URL"):
        pytest.fail("the worker tests need PostgreSQL and CELERY_BROKER_URL: run them with `make test`")
    celery = [sys.executable, "-m", "celery", "-A", "undersigned"]
    subprocess.run([*celery, "purge", "-f"], env=env, cwd=ROOT, check=True, capture_output=True)
    log = open(tmp_path_factory.mktemp("celery") / "worker.log", "w")  # noqa: SIM115 (closed below)
    options = ["--pool=solo", "--loglevel=INFO", "--without-heartbeat", "--without-gossip"]
    worker = subprocess.Popen(  # as bin/worker starts it (undersigned.worker), in one process
        [sys.executable, "-m", "undersigned.worker", *options],
        env=env,
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    ping_deadline = time.monotonic() + 60
    while not celery_app.control.ping(timeout=0.5):
        if worker.poll() is not None or time.monotonic() > ping_deadline:
            worker.kill()
            pytest.fail(f"the Celery worker did not start; see {log.name}")
    yield worker
    worker.terminate()
    worker.wait(timeout=30)
    log.close()


def _wait_until(condition, timeout: float = 30, interval: float = 0.1):
    return stack.wait_until(condition, timeout, interval)


@pytest.fixture
def wait_until():
    """Poll until `condition()` is truthy (the worker runs in another process) and return its value."""
    return _wait_until
