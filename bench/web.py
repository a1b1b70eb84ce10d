"""The issue-9 table: the site under load, before and after, measured in one run on this machine.

For each checkout ("before": a copy of `main`, made with `git archive`; "after": this one) a throw-away
PostgreSQL database is created next to DATABASE_URL's (bench_i9b_<side>, or BENCH_DB_PREFIX_<side>), migrated
and seeded (petitions of 0, 100,000 and 1,000,000 signatures, a petition holding 100,000 newer rows, ANALYZE),
then that checkout's production web server (its `bin/web`: granian since 2026-11-26, gunicorn before; 2
processes, each with the checkout's default WEB_THREADS unless BENCH_WEB_THREADS is set) and a real Celery
worker (2 processes; BENCH_WORKER_NICE lowers its CPU priority) are started from that checkout, and a load
generator in this process (threads over http.client, a new connection per request) measures:

- signing: POST with the page's CSRF token and cookie, a unique address each, at concurrency 16 and 64 (made by
  wrk with a Lua script when wrk is installed, at 0.06–0.08 ms of CPU a POST instead of the threads' 0.3–0.5;
  `--signer-load python` keeps the threads):
  accepted/s, p50, p99, and CPU per signature of the web, worker and database processes (from
  /proc/<pid>/stat of the web server's processes, the worker's, and the PostgreSQL backends of the bench database),
  counted until the worker's queue is empty (the confirmation emails, to dummymail://);
- the petition page at 0 / 100k / 1M signatures (a new reader: no cookie), at 1M for a returning reader (with
  the CSRF cookie of an earlier view) and for one revalidating (If-None-Match: 304), and the JSON API: views/s,
  p50, p99, CPU per view, and queries per request (first view, repeated view; in-process with the test
  client);
- the recent-signers plan at each size (EXPLAIN after ANALYZE);
- CSV export of 1,000,000 rows (time, peak RSS of the process) and a 100,000-row roster import from a file on
  disk, by the worker task's own function (verification.rosters.run_import on a stored upload; import_roster
  given the file, or its bytes, in a checkout without it): time, CPU, peak RSS and RSS before, each in a fresh
  process (bench/web_probe.py; the import in a real worker's pool process: bench/roster_import.py);
- claim checks with 2 worker processes against a 100,000-entry roster (bench/claim_throughput.py, in chunks
  and one task per claim), unless --claims 0.

The page and API figures use wrk (`apt-get install wrk`: 2 threads, 16 connections, kept open when the server
keeps them, as granian does; `--new-connections` asks for a new one per request, as gunicorn gave) when it is
installed: at about 0.1 ms of CPU per request instead of the threads' 0.3–0.5 ms, it leaves the 2 cores to the
server. `--reader-load python` keeps the threads for them.

Rate limits are raised so that the load generator is not throttled. Redis: REDIS_BENCH_URL (default
redis://127.0.0.1:6379), databases 2-5 (the cache and broker of each side; flushed), or from BENCH_REDIS_DB
on (e.g. 8: databases 8-11) when another bench shares that server. The Redis server's CPU is counted too (its
process, when it runs on this machine): a private server (`redis-server --port 6391 --save ''`) keeps other
runs' load out of that figure. The signing figures wait until the worker has sent every email (the queue is
empty and the outbox holds nothing owed).
BENCH_QUICK=1: 100k instead of 1M, 3 s per figure, no claim checks. `--only signing`: the signing figures alone.

    make bench                                  # or: .venv/bin/python bench/web.py [--side after]
    BENCH_QUICK=1 .venv/bin/python bench/web.py --side after
    .venv/bin/python bench/web.py --side after --only reads   # the page and API figures alone
"""

import argparse
import http.client
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import urlencode, urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
CLK_TCK = os.sysconf("SC_CLK_TCK")
QUICK = os.environ.get("BENCH_QUICK", "") not in ("", "0")
REDIS = os.environ.get("REDIS_BENCH_URL", "redis://127.0.0.1:6379")
PYTHON = sys.executable


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--side", choices=("both", "before", "after"), default="both")
    parser.add_argument("--before-ref", default="main", help="git ref measured as 'before' (default main)")
    parser.add_argument("--after-ref", help="git ref measured as 'after' (default: this checkout's files as they are)")
    parser.add_argument("--seconds", type=float, default=3 if QUICK else 10, help="per figure")
    parser.add_argument("--big", type=int, default=100_000 if QUICK else 1_000_000, help="the largest petition")
    parser.add_argument(
        "--claims", type=int, default=0 if QUICK else 20_000, help="claims to check (0: skip; 20,000: about 40 s)"
    )
    parser.add_argument("--port", type=int, default=18_000 + os.getpid() % 1000)
    parser.add_argument(
        "--reader-load", choices=("auto", "wrk", "python"), default="auto",
        help="the page and API load generator: wrk (C, far less CPU than threads in Python) when installed, "
        "else this process's threads",
    )  # fmt: skip
    parser.add_argument(
        "--signer-load", choices=("auto", "python"), default="auto",
        help="the signing load generator: wrk with a Lua script when wrk is installed and --reader-load allows it "
        "(auto), or this process's threads (python)",
    )  # fmt: skip
    parser.add_argument(
        "--new-connections", action="store_true",
        help="wrk asks for a new connection per request (Connection: close), as a reverse proxy without upstream "
        "keep-alive does; by default it keeps them open when the server does (granian does, gunicorn did not)",
    )  # fmt: skip
    parser.add_argument(
        "--only", choices=("all", "reads", "signing"), default="all",
        help="reads: only the page and API figures; signing: only the signing figures (no export, import or claims)",
    )  # fmt: skip
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if urlsplit(url).scheme not in ("postgres", "postgresql"):
        sys.exit("bench/web.py needs DATABASE_URL=postgres://… (run it with `make bench`).")
    sides = ["before", "after"] if args.side == "both" else [args.side]
    results = {}
    for n, side in enumerate(sides):
        ref = args.before_ref if side == "before" else args.after_ref
        root = checkout(ref) if ref else ROOT
        base = int(os.environ.get("BENCH_REDIS_DB", "2"))
        results[side] = measure(side, root, url, args, redis_dbs=(base + 2 * n, base + 1 + 2 * n))
    print_table(results, sides)


def checkout(ref: str) -> Path:
    """A copy of `ref`'s files (git archive) beside this checkout's virtualenv."""
    target = Path(f"/tmp/undersigned-bench-{os.getpid()}-{ref.replace('/', '-')}")
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", ref], check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)
    venv = target / ".venv"
    if venv.is_symlink() or venv.exists():
        venv.unlink()
    venv.symlink_to((ROOT / ".venv").resolve())
    return target


def database_url(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


def admin(url: str, statement: str) -> None:
    import psycopg

    with psycopg.connect(database_url(url, "postgres"), autocommit=True) as conn:
        conn.execute(statement)


def measure(side: str, root: Path, url: str, args, redis_dbs: tuple[int, int]) -> dict:
    database = f"{os.environ.get('BENCH_DB_PREFIX', 'bench_i9b')}_{side}"
    print(f"\n== {side}: {root} (database {database})", flush=True)
    admin(url, f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
    admin(url, f"CREATE DATABASE {database}")
    env = {
        **os.environ,
        "DATABASE_URL": database_url(url, database),
        "REDIS_URL": f"{REDIS}/{redis_dbs[0]}",
        "CELERY_BROKER_URL": f"{REDIS}/{redis_dbs[1]}",
        "SECRET_KEY": "bench-only",
        "DEBUG": "0",
        "EMAIL_URL": "dummymail://",
        "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "SIGN_RATE_PER_IP": "100000000/h",
        "SIGN_RATE_PER_EMAIL": "100000000/h",
        # The abuse layers too: otherwise the load generator's one IP, range and domain would be parked (a cheaper
        # path than signing) or asked for the challenge (400) after a few dozen signatures.
        "SIGN_RATE_PER_ADDRESS": "100000000/h",
        "SIGN_RATE_PER_DOMAIN": "100000000/h",
        "SIGN_RATE_PER_RANGE": "100000000/h",
        "SIGN_RATE_PER_PETITION": "100000000/h",
        "SIGN_CHALLENGE_THRESHOLD": "100000000/h",
        "PORT": str(args.port),
        "HOST": "127.0.0.1",
        "WEB_CONCURRENCY": os.environ.get("BENCH_WEB_CONCURRENCY", "2"),
        "STATIC_MANIFEST": "0",
        "LOG_LEVEL": "WARNING",
        # As behind the recommended reverse proxy, which logs the requests (docs/production.md); a checkout
        # that doesn't read it logs each request to its web server's standard output, which goes nowhere here.
        "WEB_ACCESS_LOG": "0",
        "PYTHONPATH": str(root),
    }
    if os.environ.get("BENCH_WEB_THREADS"):  # else each checkout's own default (16 under gunicorn, 8 under granian)
        env["WEB_THREADS"] = os.environ["BENCH_WEB_THREADS"]
    for db in redis_dbs:
        redis_flush(db)
    found: dict = {}
    processes: list[subprocess.Popen] = []
    try:
        began = time.perf_counter()
        subprocess.run([PYTHON, "manage.py", "migrate", "--noinput", "-v0"], cwd=root, env=env, check=True)
        signing_only = args.only == "signing"  # its petition is all it needs: no big ones to seed
        sizes = {"bench-0": 0} if signing_only else {"bench-0": 0, "bench-100k": 100_000}
        if args.big > 100_000 and not signing_only:
            sizes["bench-1m"] = args.big
        seeded = probe(root, env, "seed", json.dumps(sizes))
        print(
            f"migrated and seeded {sum(sizes.values()) + 100_000:,} signatures in {time.perf_counter() - began:.0f} s"
            f" (seed {seeded['seconds']} s)",
            flush=True,
        )
        found["queries"] = probe(root, env, "queries", *sizes)
        if args.only == "signing":
            found["signing"] = probe(root, env, "signing")
            print(f"{side} signing POST: {found['signing']}", flush=True)
        web = subprocess.Popen(
            ["bin/web"],  # each checkout's own production web server (gunicorn before 2026-11-26, then granian)
            cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=open(f"/tmp/bench-{side}-web.log", "w"),  # noqa: SIM115
        )  # fmt: skip
        processes.append(web)
        # Each checkout's worker as its bin/worker starts it: `python -m undersigned.worker` where there is one
        # (from 2026-11-26 on: Celery's worker command alone), else `celery -A undersigned worker`.
        command = (
            ["-m", "undersigned.worker"]
            if (root / "undersigned" / "worker.py").exists()
            else ["-m", "celery", "-A", "undersigned", "worker"]
        )
        worker = subprocess.Popen(
            [PYTHON, *command, "--concurrency=2", "--loglevel=WARNING", "--pool=prefork", "-n", f"bench-{side}@%h"],
            cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=open(f"/tmp/bench-{side}-worker.log", "w"),  # noqa: SIM115
            preexec_fn=_worker_niceness,
        )  # fmt: skip
        processes.append(worker)
        wait_for_http(args.port)
        warm_up(args.port, list(sizes))
        meter = Meter(web.pid, worker.pid, database, url)
        client = Client(args.port)
        wrk = shutil.which("wrk") if args.reader_load in ("auto", "wrk") else None
        if args.reader_load == "wrk" and wrk is None:
            sys.exit("--reader-load wrk: wrk is not installed (apt-get install wrk)")

        def reads(path: str, label: str, headers: dict | None = None, expected: int = 200) -> dict:
            if wrk:
                closing = {"Connection": "close"} if args.new_connections else {}
                return run_wrk(wrk, args.port, path, (headers or {}) | closing, expected, args.seconds, meter, label)
            return run_load(client.get(path, headers, expected), 16, args.seconds, meter, label=label)

        for slug in sizes if args.only in ("all", "reads") else []:
            found[f"page {slug}"] = reads(f"/petitions/{slug}/", label=f"page {slug}")
        big = "bench-1m" if "bench-1m" in sizes else "bench-100k"
        if args.only in ("all", "reads"):
            cookie, etag = client.returning_reader(big)
            found["page returning"] = reads(f"/petitions/{big}/", f"page {big}, a returning reader (CSRF cookie)",
                                            {"Cookie": cookie})  # fmt: skip
            found["page 304"] = reads(f"/petitions/{big}/", f"page {big}, revalidated (If-None-Match: 304)",
                                      {"Cookie": cookie, "If-None-Match": etag}, expected=304)  # fmt: skip
            found["api"] = reads(f"/api/petitions/{big}/", "JSON API")

        def busy() -> bool:
            """Emails still to send: tasks queued, or confirmations owed (a drain waiting for its window)."""
            return redis_llen(redis_dbs[1], "celery") > 0 or owed(url, database) > 0

        for concurrency in (16, 64) if args.only in ("all", "signing") else ():
            label = f"signing c{concurrency}"
            if wrk and args.signer_load != "python":
                script = client.signing_script(side, concurrency)
                try:
                    found[f"sign c{concurrency}"] = run_wrk(
                        wrk, args.port, "/petitions/bench-sign/sign/", {}, 200, args.seconds, meter, label,
                        connections=concurrency, script=script, drain=busy,
                    )  # fmt: skip
                finally:
                    os.unlink(script)
            else:
                found[f"sign c{concurrency}"] = run_load(
                    client.signer(side, concurrency), concurrency, args.seconds, meter, label=label, drain=busy,
                )  # fmt: skip
        for process in processes:
            stop(process)
        processes.clear()
        if args.only != "all":
            return found
        found["export"] = probe(root, env, "export", big)
        print(f"{side} export of {found['export']['rows']:,} rows: {found['export']}", flush=True)
        found["import"] = probe(root, env, "import", "100000")
        print(f"{side} roster import: {found['import']}", flush=True)
        if args.claims:
            found["claims"] = claim_checks(root, env, args.claims, redis_dbs)
    finally:
        for process in processes:
            stop(process)
        admin(url, f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
        for db in redis_dbs:
            redis_flush(db)
    return found


def probe(root: Path, env: dict, *args: str) -> dict:
    """Run bench/web_probe.py (this checkout's copy) inside `root` and return its RESULT."""
    done = subprocess.run(
        [PYTHON, str(ROOT / "bench" / "web_probe.py"), *args], cwd=root, env=env, capture_output=True, text=True
    )
    for line in done.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[7:])
    raise RuntimeError(f"probe {args} failed:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}")


def owed(url: str, database: str) -> int:
    """Confirmation emails still owed in the bench database (the outbox's rows)."""
    import psycopg

    with psycopg.connect(database_url(url, database), autocommit=True) as conn:
        return conn.execute("SELECT count(*) FROM signatures_outgoingconfirmation").fetchone()[0]


def claim_checks(root: Path, env: dict, claims: int, redis_dbs: tuple[int, int]) -> dict:
    """bench/claim_throughput.py of that checkout, its figures picked from its output."""
    script = root / "bench" / "claim_throughput.py"
    if not script.exists():
        return {}
    env = {**env, "CELERY_BROKER_URL": f"{REDIS}/{redis_dbs[1]}", "REDIS_URL": f"{REDIS}/{redis_dbs[0]}"}
    done = subprocess.run(
        [PYTHON, str(script), "--claims", str(claims), "--roster", "100000", "--loglevel", "WARNING"],
        cwd=root, env=env, capture_output=True, text=True,
    )  # fmt: skip
    figures = {}
    for line in done.stdout.splitlines():
        match = re.search(r"^(.*?): [\d,]+ of [\d,]+ claims checked in .* = ([\d,.]+) claims/s", line)
        if match:
            figures[match.group(1)] = float(match.group(2).replace(",", ""))
        match = re.search(r"^(.*?): from the first chunk's write to the last's: .* = ([\d,.]+) claims/s", line)
        if match:
            figures[f"{match.group(1)}, once checking runs"] = float(match.group(2).replace(",", ""))
        match = re.search(r"^(.*?): CPU per claim, worker \+ PostgreSQL \+ Redis \+ interrupts: ([\d.]+) ms", line)
        if match:
            figures[f"{match.group(1)} cpu"] = float(match.group(2))
        if "roster load via" in line:
            figures["roster load"] = line.split("roster load via ", 1)[1]
    if not figures:
        figures["error"] = (done.stdout + done.stderr)[-1500:]
    print(f"claim checks: {figures}", flush=True)
    return figures


# ---- processes and CPU ---------------------------------------------------------------------------------------


def _worker_niceness() -> None:
    """In the worker's process before it runs: BENCH_WORKER_NICE (0 by default) added to its niceness, to measure
    the web's latency with the worker at a lower CPU priority on the same machine."""
    os.nice(int(os.environ.get("BENCH_WORKER_NICE", "0")))


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_for_http(port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/")
            conn.getresponse().read()
            return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError("the web server did not answer")


def warm_up(port: int, slugs: list[str]) -> None:
    """Every web server process imports and renders once, and the worker settles, before anything is measured."""
    for _ in range(20):
        for slug in slugs:
            for path in (f"/petitions/{slug}/", f"/api/petitions/{slug}/"):
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                conn.request("GET", path)
                conn.getresponse().read()
                conn.close()
    time.sleep(3)


def descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            parent = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(parent, []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo += children.get(current, [])
    return found


def cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


class Meter:
    """CPU seconds of the web server's processes, the worker's, the PostgreSQL backends of the bench database, and the
    Redis server's (when it runs on this machine: everything it serves, so a private one is the clean figure)."""

    def __init__(self, web: int, worker: int, database: str, url: str):
        self.web, self.worker, self.database, self.url = web, worker, database, url
        self.redis = redis_pid()

    def backends(self) -> list[int]:
        import psycopg

        with psycopg.connect(database_url(self.url, "postgres"), autocommit=True) as conn:
            rows = conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", [self.database]).fetchall()
        return [pid for (pid,) in rows]

    def sample(self) -> dict[str, dict[int, float]]:
        return {
            "web": {pid: cpu_seconds(pid) for pid in descendants(self.web)},
            "worker": {pid: cpu_seconds(pid) for pid in descendants(self.worker)},
            "db": {pid: cpu_seconds(pid) for pid in self.backends()},
            "redis": {pid: cpu_seconds(pid) for pid in [self.redis] if pid},
        }

    @staticmethod
    def spent(before: dict, after: dict) -> dict[str, float]:
        """Per group: CPU used between the samples (a process born meanwhile counts whole)."""
        return {
            group: sum(max(0.0, seconds - before[group].get(pid, 0.0)) for pid, seconds in after[group].items())
            for group in after
        }


def redis_command(db: int, *words: str) -> str:
    host = urlsplit(REDIS)
    done = subprocess.run(
        ["redis-cli", "-h", host.hostname or "127.0.0.1", "-p", str(host.port or 6379), "-n", str(db), *words],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return done.stdout.strip()


def redis_pid() -> int | None:
    """The Redis server's process id, if it runs on this machine (its CPU is then counted)."""
    if urlsplit(REDIS).hostname not in ("127.0.0.1", "localhost"):
        return None
    match = re.search(r"process_id:(\d+)", redis_command(0, "INFO", "server"))
    return int(match.group(1)) if match and Path(f"/proc/{match.group(1)}").exists() else None


def redis_flush(db: int) -> None:
    redis_command(db, "FLUSHDB")


def redis_llen(db: int, key: str) -> int:
    return int(redis_command(db, "LLEN", key) or 0)


# ---- the load generator --------------------------------------------------------------------------------------


class Client:
    """Request makers: each returns a function doing one request and returning (ok, seconds)."""

    def __init__(self, port: int):
        self.port = port

    def request(self, method: str, path: str, body: str | None = None, headers: dict | None = None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        began = time.perf_counter()
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        data = response.read()
        conn.close()
        return response, data, time.perf_counter() - began

    def get(self, path: str, headers: dict | None = None, expected: int = 200):
        def one(_thread: int):
            response, _, took = self.request("GET", path, headers=headers)
            return response.status == expected, took

        return one

    def returning_reader(self, slug: str) -> tuple[str, str]:
        """The Cookie header of a reader who viewed the page before (its CSRF cookie), and that view's ETag."""
        response, _, _ = self.request("GET", f"/petitions/{slug}/")
        cookie = re.search(r"csrftoken=[^;]+", response.getheader("Set-Cookie") or "").group(0)
        return cookie, response.getheader("ETag")

    def signing_session(self) -> tuple[str, str, str]:
        """What a signer reads from the page before signing: the form's CSRF token, the CSRF cookie, the version."""
        response, data, _ = self.request("GET", "/petitions/bench-sign/")
        html = data.decode()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
        version = re.search(r'name="version" value="(\d+)"', html)
        cookie = re.search(r"csrftoken=([^;]+)", response.getheader("Set-Cookie") or "").group(1)
        return token, cookie, version.group(1) if version else ""

    def signing_script(self, side: str, concurrency: int) -> str:
        """A wrk Lua script (its path; the caller deletes it) that signs as `signer` does: the page's CSRF token
        and cookie, read once, and a new address for each POST (the wrk thread, a per-run number and a counter
        make it unique)."""
        token, cookie, version = self.signing_session()
        fields = urlencode({
            "csrfmiddlewaretoken": token, "affiliation": "", "role": "", "organisation": "", "comment": "",
            "public": "on", "version": version,
        })  # fmt: skip
        script = WRK_SIGNING.replace("FIELDS", fields).replace("COOKIE", cookie)
        script = script.replace("PREFIX", f"{side}.{concurrency}")
        path = Path(tempfile.mkstemp(prefix="bench-signing-", suffix=".lua")[1])
        path.write_text(script)
        return str(path)

    def signer(self, side: str, concurrency: int):
        """Each thread reads the page once (its CSRF cookie and token), then signs with new addresses."""
        sessions: dict[int, tuple[str, str, str]] = {}
        run = uuid.uuid4().hex[:6]
        counter = iter(range(10**9))
        lock = threading.Lock()

        def one(thread: int):
            if thread not in sessions:
                sessions[thread] = self.signing_session()
            token, cookie, version = sessions[thread]
            with lock:
                n = next(counter)
            body = urlencode({
                "csrfmiddlewaretoken": token, "full_name": f"Bench Signer {n}",
                "email": f"{side}.{run}.{concurrency}.{n}@signers.example", "affiliation": "", "role": "",
                "organisation": "", "comment": "", "public": "on", "version": version,
            })  # fmt: skip
            headers = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": f"csrftoken={cookie}"}
            response, data, took = self.request("POST", "/petitions/bench-sign/sign/", body, headers)
            return response.status == 200, took

        return one


def wait_until_drained(drain) -> None:
    """Until drain() is false (the worker's queue is empty; at most 120 s), so its CPU is counted too."""
    if drain is None:
        return
    deadline = time.monotonic() + 120
    while drain() and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(0.5)


def run_load(one, concurrency: int, seconds: float, meter: Meter, label: str, drain=None) -> dict:
    """`concurrency` threads calling one() for `seconds` (after a short warm-up); figures of the accepted ones."""
    warm_until = time.monotonic() + min(1.0, seconds / 3)
    latencies: list[float] = []
    failures = [0]
    stop_at = [0.0]
    measuring = threading.Event()

    def loop(thread: int) -> None:
        while True:
            now = time.monotonic()
            if measuring.is_set() and now >= stop_at[0]:
                return
            try:
                ok, took = one(thread)
            except Exception:  # a refused or reset connection is a failure, not the end of the run
                ok, took = False, 0.0
            if measuring.is_set() and time.monotonic() <= stop_at[0]:
                if ok:
                    latencies.append(took)
                else:
                    failures[0] += 1

    threads = [threading.Thread(target=loop, args=(n,), daemon=True) for n in range(concurrency)]
    for thread in threads:
        thread.start()
    time.sleep(max(0.0, warm_until - time.monotonic()))
    before = meter.sample()
    client_began = time.process_time()  # this process: the load generator's own share of the machine
    began = time.monotonic()
    stop_at[0] = began + seconds
    measuring.set()
    for thread in threads:
        thread.join(seconds + 120)
    wall = time.monotonic() - began
    client = time.process_time() - client_began
    wait_until_drained(drain)
    spent = Meter.spent(before, meter.sample())
    count = len(latencies)
    latencies.sort()
    figures = {
        "per_second": count / wall,
        "p50_ms": 1000 * statistics.median(latencies) if latencies else 0,
        "p99_ms": 1000 * latencies[min(count - 1, int(count * 0.99))] if latencies else 0,
        "failures": failures[0],
        "count": count,
        "cpu_ms": {group: 1000 * value / max(count, 1) for group, value in spent.items()},
        "client_cpu_ms": 1000 * client / max(count, 1),
    }
    cpu = figures["cpu_ms"]
    print(
        f"{label}: {figures['per_second']:,.1f}/s, p50 {figures['p50_ms']:.0f} ms, p99 {figures['p99_ms']:.0f} ms, "
        f"{count:,} ok, {failures[0]:,} failed; CPU per request {sum(cpu.values()):.2f} ms "
        f"(web {cpu['web']:.2f}, worker {cpu['worker']:.2f}, database {cpu['db']:.2f}, "
        f"redis {cpu.get('redis', 0):.2f}); the load generator's own {figures['client_cpu_ms']:.2f} ms",
        flush=True,
    )
    return figures


WRK_TIME = re.compile(r"([\d.]+)(us|ms|s)\b")

# Each wrk thread has its own Lua state: `setup` numbers them, `init` draws a run number, `request` makes a POST
# with a new address each time (PREFIX.run.thread.n@signers.example).
WRK_SIGNING = """
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end
local n = 0
local run = ""
function init(args)
  math.randomseed(os.time() * 1000 + tid)
  run = tostring(math.random(1, 1000000000))
end
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Cookie"] = "csrftoken=COOKIE"
function request()
  n = n + 1
  local who = "PREFIX." .. run .. "." .. tid .. "." .. n
  local body = "FIELDS&full_name=Bench+Signer+" .. tid .. "+" .. n .. "&email=" .. who .. "%40signers.example"
  return wrk.format(nil, nil, nil, body)
end
"""


def run_wrk(
    wrk: str, port: int, path: str, headers: dict, expected: int, seconds: float, meter: Meter, label: str,
    *, connections: int = 16, script: str | None = None, drain=None,
):  # fmt: skip
    """The same figures as run_load, the requests made by wrk (2 threads, `connections` connections, kept open if
    the server keeps them and no `Connection: close` header is given; `script`: a wrk Lua script making each
    request, then no request is made beforehand). A request is counted if wrk saw a 2xx or 3xx; one GET made
    beforehand must answer `expected`. With `drain`, the CPU is counted until drain() is false (the worker's queue)."""
    if script is None:
        status = Client(port).request("GET", path, headers=headers)[0].status
        if status != expected:
            sys.exit(f"{label}: {path} answered {status}, not {expected}")
    base = [wrk, "--threads", "2", "--connections", str(connections)]
    for name, value in headers.items():
        base += ["--header", f"{name}: {value}"]
    if script is not None:
        base += ["--script", script]
    url = f"http://127.0.0.1:{port}{path}"
    subprocess.run([*base, "--duration", "1s", url], check=True, capture_output=True)  # warm-up
    command = [*base, "--duration", f"{max(1, round(seconds))}s", "--latency", url]
    before = meter.sample()
    children = os.times()
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    after = os.times()
    wait_until_drained(drain)
    spent = Meter.spent(before, meter.sample())

    def latency(percent: str) -> float:
        value, unit = WRK_TIME.search(re.search(rf"^\s*{percent}%\s+(\S+)", output, re.M).group(1)).groups()
        return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    total = int(re.search(r"(\d+) requests in", output).group(1))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    failures = (int(bad.group(1)) if bad else 0) + (sum(map(int, errors.groups())) if errors else 0)
    count = total - (int(bad.group(1)) if bad else 0)
    figures = {
        "per_second": count / float(re.search(r"requests in ([\d.]+)s", output).group(1)),
        "p50_ms": latency("50"),
        "p99_ms": latency("99"),
        "failures": failures,
        "count": count,
        "cpu_ms": {group: 1000 * value / max(count, 1) for group, value in spent.items()},
        "client_cpu_ms": 1000 * (after.children_user + after.children_system
                                 - children.children_user - children.children_system) / max(count, 1),
        "generator": "wrk",
    }  # fmt: skip
    cpu = figures["cpu_ms"]
    print(
        f"{label} (wrk): {figures['per_second']:,.1f}/s, p50 {figures['p50_ms']:.1f} ms, "
        f"p99 {figures['p99_ms']:.1f} ms, "
        f"{count:,} ok, {failures:,} failed; CPU per request {sum(cpu.values()):.2f} ms "
        f"(web {cpu['web']:.2f}, worker {cpu['worker']:.2f}, database {cpu['db']:.2f}, "
        f"redis {cpu.get('redis', 0):.2f}); wrk's own {figures['client_cpu_ms']:.2f} ms",
        flush=True,
    )
    return figures


# ---- the table -----------------------------------------------------------------------------------------------


def print_table(results: dict, sides: list[str]) -> None:
    def load(found: dict, key: str, unit: str) -> str:
        f = found.get(key)
        if not f:
            return "—"
        cpu = sum(f["cpu_ms"].values())
        return (
            f"{f['per_second']:,.0f} {unit}/s, p50 {f['p50_ms']:.0f} ms, p99 {f['p99_ms']:.0f} ms, "
            f"{cpu:.2f} ms CPU{' (' + str(f['failures']) + ' failed)' if f['failures'] else ''}"
        )

    def signing(found: dict, key: str) -> str:
        f, probe = found.get(key), found.get("signing")
        if not f:
            return "—"
        split = ", ".join(f"{group} {ms:.2f}" for group, ms in f["cpu_ms"].items())
        extra = f"; {probe['queries']} queries, {probe['redis_round_trips']} Redis round trips a POST" if probe else ""
        return f"{load(found, key, 'accepted')} ({split}){extra}"

    def page(found: dict, slug: str) -> str:
        text = load(found, f"page {slug}", "views")
        q = found.get("queries", {}).get(f"page {slug}")
        plan = found.get("queries", {}).get(f"plan {slug}")
        return text + (f", queries {q[0]} first / {q[1]} repeated" if q else "") + (f", plan {plan}" if plan else "")

    def api(found: dict) -> str:
        q = [v for k, v in found.get("queries", {}).items() if k.startswith("api ")]
        return load(found, "api", "req") + (f", queries {q[-1][0]} first / {q[-1][1]} repeated" if q else "")

    def export(found: dict) -> str:
        e = found.get("export")
        return f"{e['rows']:,} rows in {e['seconds']:.1f} s, peak RSS {e['peak_mib']:.0f} MiB" if e else "—"

    def roster(found: dict) -> str:
        e = found.get("import")
        if not e:
            return "—"
        cpu = f", {e['cpu_seconds']:.2f} s CPU" if "cpu_seconds" in e else ""
        peak = f"peak RSS {e['peak_mib']:.0f} MiB ({e['before_mib']:.0f} before)"
        return f"{e['rows']:,} rows in {e['seconds']:.1f} s{cpu}, {peak}"

    def claims(found: dict) -> str:
        c = found.get("claims") or {}
        shown = [f"{k}: {v:,.0f}/s" for k, v in c.items() if isinstance(v, float) and not k.endswith("cpu")]
        shown += [f"{k.removesuffix(' cpu')}: {v:.2f} ms CPU" for k, v in c.items() if k.endswith("cpu")]
        return "; ".join(shown) or "—"

    rows = [
        ("signing, concurrency 16", lambda f: signing(f, "sign c16")),
        ("signing, concurrency 64", lambda f: signing(f, "sign c64")),
        ("petition page, 0 signatures", lambda f: page(f, "bench-0")),
        ("petition page, 100k", lambda f: page(f, "bench-100k")),
        ("petition page, 1M", lambda f: page(f, "bench-1m")),
        ("petition page, largest, a returning reader (CSRF cookie)", lambda f: load(f, "page returning", "views")),
        ("petition page, largest, revalidated (304)", lambda f: load(f, "page 304", "views")),
        ("JSON API", api),
        ("claim checks, 2 worker processes, 100k roster", claims),
        ("roster import, 100k rows, from a file (a fresh process)", roster),
        ("CSV export, largest petition", export),
    ]
    print("\n| what | " + " | ".join(sides) + " |")
    print("| --- | " + " | ".join("---" for _ in sides) + " |")
    for title, show in rows:
        print(f"| {title} | " + " | ".join(show(results[side]) for side in sides) + " |", flush=True)
    print("\nCPU is per accepted request: web + worker + PostgreSQL backends of the bench database + Redis server.")


if __name__ == "__main__":
    main()
