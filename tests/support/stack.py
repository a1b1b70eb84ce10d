"""The production stack as real processes on loopback ports, for the outage tests and drills.

A private `redis-server` (the broker, without persistence: a restart loses every queued task, the worst case),
an SMTP sink that can be taken down and brought back on the same port, and `bin/web` (granian), `bin/worker`
and `bin/beat` as `make serve` starts them, each in a session of its own so that it can be killed whole.
Used by tests/test_outages.py and bench/outage_drills.py; every process is stopped by whoever started it.
"""

import contextlib
import http.cookiejar
import os
import re
import shutil
import signal
import socket
import subprocess
import threading
import time
import urllib.parse
import urllib.request
from email import message_from_bytes
from email.message import Message
from pathlib import Path

from aiosmtpd.controller import Controller

ROOT = Path(__file__).resolve().parent.parent.parent
BOOT_TIMEOUT = 60


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def wait_until(condition, timeout: float, interval: float = 0.2, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"{what} not met within {timeout:g}s")


class Broker:
    """A private redis-server on a free loopback port: started, SIGKILLed, started again on the same port."""

    def __init__(self, workdir: Path):
        if shutil.which("redis-server") is None:
            raise RuntimeError("redis-server is not installed")
        self.port = free_port()
        self.workdir = workdir
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            cwd=self.workdir,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        wait_until(lambda: answers(self.port), 10, 0.05, "the broker answering")

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)


class MailSink:
    """A real SMTP server on a fixed free port that keeps every message; `stop()` closes the port."""

    def __init__(self):
        self.port = free_port()
        self.messages: list[Message] = []
        self._lock = threading.Lock()
        self.controller: Controller | None = None

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        with self._lock:
            self.messages.append(message_from_bytes(envelope.content))
        return "250 Message accepted"

    def start(self) -> None:
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def count_to(self, address: str) -> int:
        with self._lock:
            return sum(1 for m in self.messages if address in m["To"])


class Stack:
    """bin/web, bin/worker and bin/beat on one database, one broker and one mail sink, as `make serve` runs them."""

    def __init__(self, database_url: str, broker: Broker, mail: MailSink, workdir: Path, **settings: str):
        self.workdir = workdir
        self.port = free_port()
        self.env = {
            key: value
            for key, value in os.environ.items()
            if key not in ("BEHIND_TLS_PROXY", "SECURE_SSL_REDIRECT", "REDIS_URL")
        }
        self.env.update(
            DATABASE_URL=database_url,
            CELERY_BROKER_URL=broker.url,
            EMAIL_URL=f"smtp://127.0.0.1:{mail.port}",
            SECRET_KEY=self.env.get("SECRET_KEY") or "tests-only-not-secret",
            SITE_URL=f"http://127.0.0.1:{self.port}",
            ALLOWED_HOSTS="localhost,127.0.0.1",
            DEBUG="0",
            HOST="127.0.0.1",
            PORT=str(self.port),
            STATE_DIR=str(workdir / "state"),
            WEB_CONCURRENCY="1",
            WEB_THREADS="4",
            WORKER_CONCURRENCY="2",
            SIGN_RATE_PER_IP="10000/h",
            SIGN_RATE_PER_EMAIL="1000/h",
            STATIC_MANIFEST="0",  # pages link the apps' static files: no collectstatic needed
            PYTHONUNBUFFERED="1",
        )
        self.env.update(settings)
        self.processes: dict[str, subprocess.Popen] = {}

    def start(self, name: str) -> None:
        """Start bin/<name> (web, worker or beat); the web server is waited for until it answers."""
        log = open(self.workdir / f"{name}.log", "a")  # noqa: SIM115 (the process holds it)
        self.processes[name] = subprocess.Popen(
            [str(ROOT / "bin" / name)],
            env=self.env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        if name == "web":
            wait_until(
                lambda: answers(self.port) or self.processes[name].poll() is not None,
                BOOT_TIMEOUT,
                0.2,
                "the web server answering",
            )
            if self.processes[name].poll() is not None:
                raise AssertionError(f"bin/web stopped at start:\n{self.log(name)}")

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        """Signal the whole process group (a worker and its pool processes) and wait until none is left."""
        process = self.processes.pop(name, None)
        if process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                os.killpg(process.pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.1)
        os.killpg(process.pid, signal.SIGKILL)

    def stop_all(self) -> None:
        for name in list(self.processes):
            self.kill(name, signal.SIGTERM)

    def log(self, name: str) -> str:
        path = self.workdir / f"{name}.log"
        return path.read_text()[-4000:] if path.exists() else ""

    def browser(self) -> "Browser":
        return Browser(self.port)


class Browser:
    """A signer's browser against the web server: cookies, and the form's CSRF token read from the page."""

    def __init__(self, port: int):
        self.base = f"http://127.0.0.1:{port}"
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def get(self, path: str) -> tuple[int, str]:
        try:
            with self.opener.open(self.base + path, timeout=30) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def post(self, path: str, data: dict, page: str | None = None) -> tuple[int, str]:
        """POST `data` with the CSRF token of `page` (fetched from `path` when not given)."""
        if page is None:
            _, page = self.get(path)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        body = urllib.parse.urlencode({**data, "csrfmiddlewaretoken": token}).encode()
        request = urllib.request.Request(self.base + path, data=body, headers={"Referer": self.base + path})
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def sign(self, slug: str, **fields: str) -> int:
        _, page = self.get(f"/petitions/{slug}/")
        status, _ = self.post(f"/petitions/{slug}/sign/", {"public": "on", **fields}, page)
        return status

    def confirm(self, token: str) -> int:
        path = f"/signatures/confirm/{token}/"
        status, page = self.get(path)
        if status != 200:
            return status
        return self.post(path, {}, page)[0]
