"""Claim-check throughput: claims checked per second by a real Celery worker with 2 processes, big roster.

A throw-away PostgreSQL database is created next to DATABASE_URL's (and dropped at the end), migrated, and
given one affiliation, one open petition offering it, and a generated roster (faker, many locales, ~80% with a
roster address) imported through verification.rosters.import_roster. Then --claims confirmed claims are
inserted directly (not through the web), a mix of: ~20% signed at a roster address (verified), ~40% a
member's name from another address (roster challenges are opened; their emails go to dummymail://), ~40%
non-members. A real `celery -A undersigned worker --concurrency=2 --pool=prefork` checks them twice:

(a) as signers confirm: `queue_claim_check` (the confirmation's receiver) for each claim, which queues at most
    one `check_owed_claims` per CLAIM_CHECK_WINDOW (this process is the one web process); that run checks every
    claim owed in chunks of 500, sharing them with a second run;
(b) in chunks: the claims reset to pending, then `queue_recheck`, which sends chunks of 500 to `verify_claims`
    (the same claims as (a), in the same worker processes: their names are in its caches now, and the roster's
    pages copied into each pool process, so (b) is the cheaper of the two; (a) is what new signers cost);
(c) the open challenges' emails alone, marked unsent and queued again as the sweeper does (worker CPU per email).

For each: wall time until every claim has its evidence, then until the queue is empty (the challenge emails);
the worker's CPU (main and pool processes), PostgreSQL's (the whole server's, and the throw-away database's
backends' alone, which other work on a shared server does not move) and Redis's CPU (from /proc: run it on the
machine that runs them, and on an otherwise idle one: the "other processes" figure says how idle it was), the new
PostgreSQL connections, and the outcomes. The worker uses a broker Redis database of its own, whose queue is
purged: never the tests' (/14).

    SECRET_KEY=x DATABASE_URL=postgres://postgres@127.0.0.1:5432/undersigned \\
    CELERY_BROKER_URL=redis://127.0.0.1:6379/12 REDIS_URL=redis://127.0.0.1:6379/13 \\
        .venv/bin/python bench/claim_throughput.py [--claims 8000] [--roster 100000] [--profile 300] [--dump FILE]

About 4½ minutes on 2 cores with the defaults; --claims 20000 takes about 10. --profile N then checks N claims
of each kind in this process, one by one and as one chunk: time and queries per claim, and the hottest
functions (cProfile). --dump FILE then checks every claim once more in this process and writes each one's outcome,
evidence and challenges (compare two checkouts' files; with a checkout before `cd8de10`, run both with the same
PYTHONHASHSEED).
"""

import argparse
import contextlib
import cProfile
import logging
import os
import pstats
import random
import re
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from run import _copy, create_database, drop_database, throwaway_database_url  # noqa: E402  (bench/run.py)
from verification_quality import PERSONAL_DOMAINS, People, make_roster, roster_csv, slug  # noqa: E402

TEST_BROKER_DB = 14  # the Makefile's `make test` broker: its queue must never be purged by a bench
CLK_TCK = os.sysconf("SC_CLK_TCK")
KINDS = ("roster address", "member name", "non-member")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--claims", type=int, default=8_000, help="confirmed claims to check (default 8,000: about 4 minutes in all)"
    )
    parser.add_argument("--roster", type=int, default=100_000, help="roster entries (default 100,000)")
    parser.add_argument("--concurrency", type=int, default=2, help="worker pool processes (default 2)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--roster-load", choices=("import", "copy"), default="import", help="import_roster (default) or COPY"
    )
    parser.add_argument("--timeout", type=float, default=240, help="seconds each measured run may take (240)")
    parser.add_argument("--loglevel", default="INFO", help="the worker's --loglevel (INFO, as bin/serve runs it)")
    parser.add_argument(
        "--worker-app", default="undersigned", help="the worker's -A (default undersigned; another to try a setting)"
    )
    parser.add_argument(
        "--profile", type=int, default=0, metavar="N", help="then profile N claims in this process (cProfile)"
    )
    parser.add_argument(
        "--dump",
        metavar="FILE",
        help="then check every claim again in this process, in chunks of 500 in id order, and write each claim's "
        "outcome, evidence and challenges to FILE (JSON lines), to compare two checkouts' outcomes",
    )
    args = parser.parse_args()

    url = os.environ.get("DATABASE_URL", "")
    if urlsplit(url).scheme not in ("postgres", "postgresql"):
        sys.exit("bench/claim_throughput.py needs DATABASE_URL=postgres://… (see its docstring).")
    broker = os.environ.setdefault("CELERY_BROKER_URL", "redis://127.0.0.1:6379/12")
    broker_parts = urlsplit(broker)
    if broker_parts.scheme != "redis" or broker_parts.path.strip("/") in ("", "0", str(TEST_BROKER_DB)):
        sys.exit(f"CELERY_BROKER_URL must be a Redis database of the bench's own (e.g. /12), not {broker!r}.")
    os.environ.setdefault("SECRET_KEY", "bench-only")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "undersigned.settings")
    os.environ["EMAIL_URL"] = "dummymail://"  # challenge emails go nowhere, here and in the worker
    os.environ["DEBUG"] = "0"

    bench_url, bench_db = throwaway_database_url(url)
    create_database(url, bench_db)
    worker = Worker(args.concurrency, args.loglevel, args.worker_app)
    failed = False
    try:
        os.environ["DATABASE_URL"] = bench_url
        run(args, bench_db, worker)
    except BaseException:
        failed = True
        raise
    finally:
        worker.stop(keep_log=failed)
        try:
            from django.db import connections

            connections.close_all()
        except Exception:  # noqa: S110  (django may not be set up yet)
            pass
        drop_database(url, bench_db)
        print(f"Stopped the worker; dropped the throw-away database {bench_db}.", flush=True)


# ---------------------------------------------------------------------------------------------------- /proc


def proc_stat(pid: int) -> list[str] | None:
    """The fields of /proc/<pid>/stat after the command name (index 0 is the state), or None if it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return None


def cpu_seconds(pid: int, waited_children: bool = False) -> float:
    """utime + stime (and with `waited_children`, cutime + cstime) of a process, in seconds."""
    fields = proc_stat(pid)
    if fields is None:
        return 0.0
    ticks = int(fields[11]) + int(fields[12])
    if waited_children:
        ticks += int(fields[13]) + int(fields[14])
    return ticks / CLK_TCK


def children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            fields = proc_stat(int(entry))
            if fields is not None and fields[1] == str(pid):
                found.append(int(entry))
    return sorted(found)


def rss_mib(pid: int | str = "self", field: str = "VmRSS") -> float:
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024
    except FileNotFoundError:
        pass
    return 0.0


def reset_peak_rss() -> bool:
    """Reset this process's VmHWM (Linux: `5` to clear_refs), so the next peak is the next step's own."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def peak_rss_mib() -> float:
    return rss_mib("self", "VmHWM") or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# ---------------------------------------------------------------------------------------------------- worker


class Worker:
    """A real `celery worker` process (prefork pool) on the throw-away database and the bench's broker."""

    def __init__(self, concurrency: int, loglevel: str, app: str = "undersigned", command: list[str] | None = None):
        """`command`: how the worker is started (default `python -m celery -A <app> worker`)."""
        self.concurrency, self.loglevel, self.app = concurrency, loglevel, app
        self.command = command or [sys.executable, "-m", "celery", "-A", app, "worker"]
        self.process: subprocess.Popen | None = None
        self.log_path = ""
        self._pool: list[int] = []

    def start(self) -> float:
        from undersigned.celery import app

        app.control.purge()  # the bench's own broker database: nothing left over from an earlier run
        log = tempfile.NamedTemporaryFile("w", prefix="claim_throughput_worker_", suffix=".log", delete=False)  # noqa: SIM115
        self.log_path = log.name
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        began = time.perf_counter()
        self.process = subprocess.Popen(
            [*self.command, "--pool=prefork"]
            + [f"--concurrency={self.concurrency}", f"--loglevel={self.loglevel}", "-n", f"bench{os.getpid()}@%h"]
            + ["--without-heartbeat", "--without-gossip", "--without-mingle"],
            env=env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        deadline = time.monotonic() + 90
        while not app.control.ping(timeout=0.5):
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the Celery worker did not start; its log:\n{self.log_tail()}")
        self._pool = children(self.process.pid)
        return time.perf_counter() - began

    def pids(self) -> list[int]:
        return [self.process.pid, *self._pool] if self.process else []

    def cpu(self) -> tuple[float, float]:
        """(main process, pool processes) CPU seconds so far."""
        if self.process is None:
            return 0.0, 0.0
        alive = set(children(self.process.pid))
        if alive - set(self._pool):
            self._pool = sorted(set(self._pool) | alive)  # a pool process replaced: its successor counts too
        return cpu_seconds(self.process.pid, waited_children=True), sum(cpu_seconds(p) for p in self._pool)

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "".join(Path(self.log_path).read_text(errors="replace").splitlines(True)[-lines:])
        except OSError:
            return "(no log)"

    def errors_logged(self) -> list[str]:
        try:
            text = Path(self.log_path).read_text(errors="replace")
        except OSError:
            return []
        return [line for line in text.splitlines() if "ERROR" in line or "Traceback" in line or "retry" in line]

    def stop(self, keep_log: bool = False) -> None:
        if self.process is None:
            return
        pool = children(self.process.pid)
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        for pid in pool:  # the pool processes this worker forked, if any outlived it (and still are)
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    ours = b"celery" in f.read()
            except OSError:
                continue
            if ours:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, 9)
        try:
            from undersigned.celery import app

            app.control.purge()  # leave no queued task behind on the bench's broker database
        except Exception:  # noqa: S110
            pass
        self.process = None
        if keep_log:
            print(f"The worker's log is kept: {self.log_path}", flush=True)
        elif self.log_path:
            Path(self.log_path).unlink(missing_ok=True)


def broker_busy() -> int:
    """Messages queued or delivered but not yet acknowledged on the bench's broker database."""
    import redis

    client = redis.Redis.from_url(os.environ["CELERY_BROKER_URL"])
    queued = sum(client.llen(key) for key in client.scan_iter("celery*") if client.type(key) == b"list")
    return queued + client.hlen("unacked")


def postgres_cpu() -> float:
    """CPU seconds of the whole PostgreSQL server's backends: the postmaster's children alive now, plus those
    that exited (its cutime + cstime). Backends of other databases count too, if anything else runs."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (backend,) = cursor.fetchone()
    fields = proc_stat(backend)
    if fields is None:
        return 0.0
    postmaster = int(fields[1])
    return cpu_seconds(postmaster, waited_children=True) + sum(cpu_seconds(p) for p in children(postmaster))


def bench_backends_cpu(bench_db: str) -> dict[int, float]:
    """CPU seconds so far of each PostgreSQL backend connected to the throw-away database (this bench's own
    included): unlike `postgres_cpu`, not moved by other databases' work on a shared server. A backend's CPU is
    read at every sample (Meter.sample, every 0.2 s), so one that disconnects meanwhile loses at most that much."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", [bench_db])
        pids = [row[0] for row in cursor.fetchall()]
    return {pid: cpu for pid in pids if (cpu := cpu_seconds(pid)) > 0 or proc_stat(pid) is not None}


def sessions(bench_db: str) -> int:
    """Connections made to the throw-away database so far (pg_stat_database.sessions, PostgreSQL 14+)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute("SELECT sessions FROM pg_stat_database WHERE datname = %s", [bench_db])
        row = cursor.fetchone()
    return row[0] if row and row[0] is not None else 0


def redis_cpu() -> float:
    """CPU seconds of the local redis-server process(es), the broker (whatever else they serve counts too)."""
    total = 0.0
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/comm") as f:
                    if f.read().strip() == "redis-server":
                        total += cpu_seconds(int(entry))
            except OSError:
                continue
    return total


def machine_cpu() -> tuple[float, float, float]:
    """(busy, interrupts, total) CPU seconds of the whole machine so far, from /proc/stat.

    Busy is user + nice + system + irq + softirq; interrupts (irq + softirq: here mostly the loopback network)
    are counted to no process. Steal (time the hypervisor took) is in the total only."""
    with open("/proc/stat") as f:
        user, nice, system, idle, iowait, irq, softirq, steal = (int(v) for v in f.readline().split()[1:9])
    busy = user + nice + system + irq + softirq
    return busy / CLK_TCK, (irq + softirq) / CLK_TCK, (busy + idle + iowait + steal) / CLK_TCK


class Meter:
    """Wall time, worker CPU, PostgreSQL's CPU and connections, and the machine's CPU, since `start`."""

    def __init__(self, worker: Worker, bench_db: str) -> None:
        self.worker, self.bench_db = worker, bench_db

    def start(self) -> "Meter":
        self.sessions = sessions(self.bench_db)
        self.pg = postgres_cpu()
        self.backends = bench_backends_cpu(self.bench_db)
        self.backends_seen = dict(self.backends)
        self.redis = redis_cpu()
        self.main, self.pool = self.worker.cpu()
        self.busy, self.irq, self.total = machine_cpu()
        self.own = time.process_time()
        self.samples, self.active, self.locked = 0, 0, 0
        self.wall = time.perf_counter()
        return self

    def sample(self) -> None:
        """Which of the workers' PostgreSQL backends are running a statement now, and which wait for a lock; and
        the CPU of the throw-away database's backends so far (kept for those that disconnect later)."""
        from django.db import connection

        self.backends_seen.update(bench_backends_cpu(self.bench_db))

        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FILTER (WHERE state = 'active'), count(*) FILTER (WHERE wait_event_type = 'Lock')"
                " FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                [self.bench_db],
            )
            active, locked = cursor.fetchone()
        self.samples += 1
        self.active += active
        self.locked += locked

    def _backends_since_start(self) -> float:
        self.backends_seen.update(bench_backends_cpu(self.bench_db))
        return sum(cpu - self.backends.get(pid, 0.0) for pid, cpu in self.backends_seen.items())

    def read(self) -> dict[str, float]:
        wall = time.perf_counter() - self.wall
        main, pool = self.worker.cpu()
        busy, irq, total = machine_cpu()
        return {
            "wall": wall,
            "main": main - self.main,
            "pool": pool - self.pool,
            "pg": postgres_cpu() - self.pg,
            "pg_bench": self._backends_since_start(),
            "redis": redis_cpu() - self.redis,
            "sessions": sessions(self.bench_db) - self.sessions,
            "busy": busy - self.busy,
            "irq": irq - self.irq,
            "cores": (total - self.total) / wall,
            "bench": time.process_time() - self.own,
            "active": self.active / max(self.samples, 1),
            "locked": self.locked / max(self.samples, 1),
            "samples": self.samples,
        }


# ---------------------------------------------------------------------------------------------------- setup


def run(args, bench_db: str, worker: Worker) -> None:
    import django

    django.setup()
    logging.getLogger("celery").setLevel(logging.WARNING)  # the eager re-check after the import says nothing
    from django.core.management import call_command

    from petitions.models import Petition
    from undersigned.celery import app
    from verification.models import Affiliation

    print(
        f"Throw-away database {bench_db}; broker {os.environ['CELERY_BROKER_URL']}; {os.cpu_count()} CPUs, "
        f"load average {os.getloadavg()[0]:.2f} before starting; migrating …",
        flush=True,
    )
    began = time.perf_counter()
    call_command("migrate", verbosity=0)
    print(f"migrate: {time.perf_counter() - began:.1f} s", flush=True)

    affiliation = Affiliation.objects.create(slug="bench-members", name="Bench members")
    petition = Petition.objects.create(title="Bench letter", slug="bench-letter", body="We, the undersigned.")
    petition.publish()
    petition.affiliations.add(affiliation)

    rng = random.Random(args.seed)
    people = People(args.seed)
    began = time.perf_counter()
    members = make_roster(people, args.roster, rng)
    data = roster_csv(members)
    with_address = sum(1 for m in members if m.email)
    print(
        f"roster generated: {args.roster:,} entries ({with_address / args.roster:.0%} with a roster address, "
        f"{len({m.locale for m in members})} locales), {len(data) / 1e6:.1f} MB of CSV "
        f"in {time.perf_counter() - began:.1f} s",
        flush=True,
    )
    app.conf.task_always_eager = True  # the import's re-check (no claims yet) runs here, sends nothing
    try:
        load_roster(affiliation, members, data, args.roster_load)
    finally:
        app.conf.task_always_eager = False
    del data

    ids, kinds = insert_claims(petition, affiliation, members, people, rng, args.claims)
    measure_index_build(affiliation)

    started = worker.start()
    pool = worker.pids()[1:]
    print(
        f"worker started (roster indexes built) and answering ping in {started:.1f} s: main pid "
        f"{worker.pids()[0]}, pool pids {pool}"
    )

    by_task(petition, ids, kinds, worker, bench_db, args.timeout)
    reset(petition)
    by_chunks(petition, ids, kinds, worker, bench_db, args.timeout)
    challenge_emails(worker, bench_db, args.timeout)
    rss = ", ".join(f"{rss_mib(pid):.0f}" for pid in worker.pids()[1:])
    print(
        f"worker processes' RSS at the end (main, then pool: the main process builds the RosterIndex before it "
        f"forks, the pool processes inherit it, sharing the pages they have not written to): "
        f"{rss_mib(worker.pids()[0]):.0f}; {rss} MiB"
    )
    errors = worker.errors_logged()
    print(f"worker log: {len(errors)} error/retry lines" + (f"; first: {errors[0][:300]}" if errors else ""))
    if args.profile:
        profile(petition, ids, kinds, args.profile)
    if args.dump:
        dump_outcomes(petition, ids, args.dump)


def load_roster(affiliation, members, data: bytes, how: str) -> None:
    from verification.models import RosterEntry

    reset_peak_rss()
    before = rss_mib()
    began = time.perf_counter()
    if how == "import":
        from verification.rosters import import_roster

        record = import_roster(affiliation, data, "bench-roster.csv")
        assert record.created == len(members), record
        label = "import_roster (verification.rosters)"
    else:
        copy_roster(affiliation, members)
        label = "COPY (import_roster skipped)"
    wall = time.perf_counter() - began
    count = RosterEntry.objects.filter(affiliation=affiliation).count()
    print(
        f"roster load via {label}: {count:,} entries in {wall:.1f} s = {count / wall:,.0f} entries/s; "
        f"RSS {before:.0f} MiB before, peak {peak_rss_mib():.0f} MiB during (+{peak_rss_mib() - before:.0f} MiB)",
        flush=True,
    )


def copy_roster(affiliation, members) -> None:
    from django.db import connection, transaction
    from django.utils import timezone

    from signatures.addresses import email_key
    from verification.models import Affiliation, RosterEntry
    from verification.names import name_key

    now = timezone.now()

    def values(n: int) -> dict:
        m = members[n]
        return {
            "id": n + 1,
            "affiliation_id": affiliation.pk,
            "full_name": m.roster_name,
            "email": m.email,
            "external_id": m.external_id,
            "name_key": name_key(m.roster_name),
            "email_key": email_key(m.email) if m.email else "",
            "imported_at": now,
        }

    with transaction.atomic(), connection.cursor() as cursor:
        _copy(cursor, RosterEntry, len(members), values)
        table = RosterEntry._meta.db_table
        cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
        Affiliation.bump_roster_version(affiliation.pk)


def insert_claims(petition, affiliation, members, people, rng, count: int) -> tuple[list[int], dict[int, str]]:
    """Confirmed claims, verification pending, inserted with bulk_create; their ids and kinds."""
    from django.db import connection
    from django.utils import timezone

    from signatures.addresses import email_key
    from signatures.models import Signature
    from verification.models import RosterEntry

    entries = list(RosterEntry.objects.filter(affiliation=affiliation).values_list("pk", "full_name", "email"))
    rng.shuffle(entries)
    at_address = [e for e in entries if e[2]]
    n_address, n_name = round(count * 0.2), round(count * 0.4)
    n_other = count - n_address - n_name
    if n_address > len(at_address) or n_address + n_name > len(entries):
        sys.exit(f"--roster {len(entries):,} is too small for --claims {count:,}")
    used = {e[0] for e in at_address[:n_address]}
    by_name = [e for e in entries if e[0] not in used][:n_name]

    claims: list[tuple[str, str, str]] = []  # (kind, typed name, address)
    for _, name, email in at_address[:n_address]:
        claims.append((KINDS[0], name, email))
    for n, (_, name, _) in enumerate(by_name):
        claims.append((KINDS[1], name, f"{slug(name, 20)}.s{n}@{rng.choice(PERSONAL_DOMAINS)}"))
    for n in range(n_other):
        name = people.person().roster_name
        claims.append((KINDS[2], name, f"{slug(name, 20)}.n{n}@{rng.choice(PERSONAL_DOMAINS)}"))
    rng.shuffle(claims)

    now = timezone.now()
    began = time.perf_counter()
    signatures = Signature.objects.bulk_create(
        [
            Signature(
                petition=petition,
                version_id=petition.current_version_id,
                full_name=name[:120],
                email=email,
                email_key=email_key(email),
                affiliation=affiliation,
                public=True,
                status=Signature.Status.CONFIRMED,
                verification=Signature.Verification.PENDING,
                created_at=now,
                confirmed_at=now,
            )
            for _, name, email in claims
        ],
        batch_size=2000,
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    ids = [s.pk for s in signatures]
    kinds = {s.pk: kind for s, (kind, _, _) in zip(signatures, claims, strict=True)}
    mix = Counter(kinds.values())
    print(
        f"claims inserted (bulk_create, confirmed, pending): {count:,} in {time.perf_counter() - began:.1f} s — "
        + ", ".join(f"{mix[k]:,} {k}" for k in KINDS)
        + f" ({sum(1 for e in by_name if e[2]):,} of the member names have a roster address)",
        flush=True,
    )
    return ids, kinds


def measure_index_build(affiliation) -> None:
    """What a worker pays once per roster version: the RosterIndex of the whole roster (its main process before it
    forks; a pool process again when the roster has changed since)."""
    from verification import matching

    affiliation.refresh_from_db()  # the import moved its roster_version on
    before = rss_mib()
    began = time.perf_counter()
    matching.roster_index(affiliation)
    wall = time.perf_counter() - began
    print(
        f"RosterIndex build in one process (what a worker's main process spends before forking its pool, "
        f"matching.preload_roster_indexes, and a process whose roster changed, on its next name check): "
        f"{wall:.1f} s, +{rss_mib() - before:.0f} MiB RSS",
        flush=True,
    )


# ---------------------------------------------------------------------------------------------------- runs


def wait(condition, timeout: float, label: str, meter: "Meter | None" = None) -> bool:
    deadline = time.monotonic() + timeout
    shown = time.monotonic()
    while time.monotonic() < deadline:
        if meter is not None:
            meter.sample()
        state = condition()
        if state is True:
            return True
        if time.monotonic() - shown > 15:
            print(f"  … {label}: {state}", file=sys.stderr, flush=True)
            shown = time.monotonic()
        time.sleep(0.2)
    print(f"TIMED OUT after {timeout:.0f} s waiting for {label}: {condition()}", flush=True)
    return False


def without_evidence(petition) -> int:
    from signatures.models import Signature

    return Signature.objects.filter(petition=petition, evidence__isnull=True).count()


def report(label: str, claims: int, meter: Meter, done: bool, enqueue: float, petition, kinds) -> None:
    m = meter.read()
    checked = claims - without_evidence(petition)
    per = 1000 / max(checked, 1)
    cpu = m["main"] + m["pool"]
    print(
        f"{label}: {checked:,} of {claims:,} claims checked in {m['wall']:.1f} s = {checked / m['wall']:,.1f} claims/s"
        f" (enqueue {enqueue:.1f} s of it){'' if done else ' — INCOMPLETE'}",
        flush=True,
    )
    first, last, in_first = _checked_between(petition)
    if first is not None and last > first:
        print(
            f"{label}: from the first chunk's write to the last's: {checked - in_first:,} claims in "
            f"{last - first:.1f} s = {(checked - in_first) / (last - first):,.1f} claims/s (the pace once "
            "checking runs: without the wait for the first check, the CLAIM_CHECK_WINDOW in (a), nor the first "
            "chunk, whose work came before)",
            flush=True,
        )
    print(
        f"{label}: worker CPU {cpu:.1f} s = {cpu * per:.2f} ms per claim (main process {m['main']:.1f} s, "
        f"pool processes {m['pool']:.1f} s); PostgreSQL server CPU {m['pg']:.1f} s = {m['pg'] * per:.2f} ms per "
        f"claim; {m['sessions']:,.0f} new PostgreSQL connections",
        flush=True,
    )
    print(
        f"{label}: PostgreSQL backends of the throw-away database only (not moved by other databases' work on a "
        f"shared server): {m['pg_bench']:.1f} s = {m['pg_bench'] * per:.2f} ms per claim",
        flush=True,
    )
    other = m["busy"] - m["irq"] - cpu - m["pg"] - m["redis"] - m["bench"]
    print(
        f"{label}: machine CPU busy {m['busy'] / m['wall']:.2f} of {m['cores']:.0f} cores: Redis {m['redis']:.1f} s, "
        f"interrupts {m['irq']:.1f} s, "
        f"this bench process {m['bench']:.1f} s (enqueueing, polling), other processes (not the worker, PostgreSQL, "
        f"Redis or this bench) {max(other, 0) / m['wall']:.2f} cores; workers' PostgreSQL backends running a "
        f"statement {m['active']:.2f} on average, waiting for a lock {m['locked']:.3f} ({m['samples']} samples)",
        flush=True,
    )
    needed = (cpu + m["pg"] + m["redis"] + m["irq"]) / max(checked, 1)
    print(
        f"{label}: CPU per claim, worker + PostgreSQL + Redis + interrupts: {needed * 1000:.2f} ms, so at most "
        f"{m['cores'] / needed:,.0f} claims/s on {m['cores']:.0f} cores running nothing else",
        flush=True,
    )
    outcomes(label, petition, kinds)


def _checked_between(petition) -> tuple[float | None, float | None, int]:
    """When the first and the last of the petition's evidence rows were written (epoch seconds), and how many rows
    the first write had: each chunk's rows carry the time of its insert."""
    from django.db.models import Max, Min

    from verification.models import Evidence

    evidence = Evidence.objects.filter(signature__petition=petition)
    span = evidence.aggregate(first=Min("created_at"), last=Max("created_at"))
    if span["first"] is None:
        return None, None, 0
    in_first = evidence.filter(created_at=span["first"]).count()
    return span["first"].timestamp(), span["last"].timestamp(), in_first


def drained(label: str, claims: int, meter: Meter, timeout: float) -> None:
    """Wait for the rest of the queue (the challenge emails) and report the totals, emails included."""
    from verification.models import RosterChallenge

    ok = wait(lambda: broker_busy() == 0 or f"{broker_busy():,} messages left", timeout, "the broker queue", meter)
    m = meter.read()
    if not ok:  # what is left must not run during the next measurement
        from undersigned.celery import app

        app.control.purge()
        wait(lambda: broker_busy() == 0 or f"{broker_busy():,} in flight", 60, "the tasks in flight after a purge")
    sent = RosterChallenge.objects.filter(sent_at__isnull=False).count()
    cpu = m["main"] + m["pool"]
    print(
        f"{label}: queue drained{'' if ok else ' (NOT)'} after {m['wall']:.1f} s, {sent:,} challenge emails sent "
        f"(dummymail); all included: worker CPU {cpu:.1f} s = {cpu * 1000 / claims:.2f} ms per claim, PostgreSQL "
        f"{m['pg']:.1f} s = {m['pg'] * 1000 / claims:.2f} ms per claim, {m['sessions']:,.0f} new connections",
        flush=True,
    )


def outcomes(label: str, petition, kinds: dict[int, str]) -> None:
    from signatures.models import Signature
    from verification.models import Evidence, RosterChallenge

    Verification = Signature.Verification
    rows = Signature.objects.filter(petition=petition).values_list("pk", "verification", "evidence__method")
    mix: Counter[str] = Counter()
    per_kind: dict[str, Counter[str]] = {kind: Counter() for kind in KINDS}
    for pk, verification, method in rows:
        if verification == Verification.PENDING:
            outcome = "pending-with-challenge" if method == Evidence.Method.ROSTER_CHALLENGE else "pending (unchecked)"
        else:
            outcome = verification
        mix[outcome] += 1
        per_kind[kinds[pk]][outcome] += 1
    order = ["verified", "pending-with-challenge", "needs_review", "unverified"]
    order += sorted(set(mix) - set(order))
    opened = RosterChallenge.objects.filter(signature__petition=petition).count()
    print(f"{label}: outcomes " + " / ".join(f"{mix[o]:,} {o}" for o in order) + f"; {opened:,} challenges opened")
    print(
        f"{label}: by kind: "
        + "; ".join(f"{kind}: " + ", ".join(f"{n:,} {o}" for o, n in per_kind[kind].most_common()) for kind in KINDS),
        flush=True,
    )


def by_task(petition, ids: list[int], kinds, worker: Worker, bench_db: str, timeout: float) -> None:
    from verification.tasks import queue_claim_check

    label = "(a) as signers confirm: check_owed_claims, one per window"
    meter = Meter(worker, bench_db).start()
    for signature_id in ids:  # outside a transaction: what each confirmation's commit does
        queue_claim_check(None, signature_id=signature_id)
    enqueue = time.perf_counter() - meter.wall
    done = wait(
        lambda: (left := without_evidence(petition)) == 0 or f"{left:,} claims without evidence", timeout, label, meter
    )
    report(label, len(ids), meter, done, enqueue, petition, kinds)
    drained(label, len(ids), meter, timeout / 2)


def reset(petition) -> None:
    """Every claim back to pending with no evidence, no challenges and zero tallies, as before (a)."""
    from signatures.models import AffiliationTally, Signature
    from verification.models import Evidence, RosterChallenge

    began = time.perf_counter()
    Signature.objects.filter(petition=petition).update(
        verification=Signature.Verification.PENDING, evidence=None, verified_at=None
    )
    RosterChallenge.objects.filter(petition=petition).delete()
    Evidence.objects.filter(signature__petition=petition).delete()
    AffiliationTally.objects.filter(petition=petition).update(claimed=0, verified=0, disputed=0)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    print(f"reset: every claim pending again, evidence and challenges deleted ({time.perf_counter() - began:.1f} s)")


def by_chunks(petition, ids: list[int], kinds, worker: Worker, bench_db: str, timeout: float) -> None:
    from signatures.models import Signature
    from verification.models import Recheck
    from verification.tasks import RECHECK_CHUNK, queue_recheck

    label = f"(b) queue_recheck, verify_claims in chunks of {RECHECK_CHUNK}"
    meter = Meter(worker, bench_db).start()
    recheck = queue_recheck(Signature.objects.filter(petition=petition), "bench")
    enqueue = time.perf_counter() - meter.wall
    assert recheck.total == len(ids), (recheck.total, len(ids))

    def finished():
        row = Recheck.objects.get(pk=recheck.pk)
        return row.finished_at is not None or f"Recheck {row.done:,} of {row.total:,}"

    done = wait(finished, timeout, label, meter)
    report(label, len(ids), meter, done, enqueue, petition, kinds)
    drained(label, len(ids), meter, timeout / 2)


def challenge_emails(worker: Worker, bench_db: str, timeout: float) -> None:
    """(c) The open challenges' emails alone: marked unsent again, then queued as the sweeper queues what an outage
    left unsent (requeue_stalled_checks, the same sending path as a chunk's); worker CPU per email."""
    from verification.models import RosterChallenge
    from verification.tasks import requeue_stalled_checks

    challenges = RosterChallenge.objects.open()
    challenges.update(sent_at=None)
    count = challenges.count()
    label = f"(c) {count:,} roster challenge emails, as the sweeper queues them"
    meter = Meter(worker, bench_db).start()
    queued = requeue_stalled_checks.run(waited=0)
    enqueue = time.perf_counter() - meter.wall
    wait(lambda: (left := challenges.filter(sent_at=None).count()) == 0 or f"{left:,} unsent", timeout, label, meter)
    wait(lambda: broker_busy() == 0 or f"{broker_busy():,} messages left", timeout, "the broker queue", meter)
    m = meter.read()
    sent = challenges.exclude(sent_at=None).count()
    cpu = m["main"] + m["pool"]
    print(
        f"{label}: queued {queued} in {enqueue:.2f} s; {sent:,} sent in {m['wall']:.1f} s = {sent / m['wall']:,.0f}/s; "
        f"worker CPU {cpu:.2f} s = {cpu * 1000 / max(sent, 1):.2f} ms per email (main {m['main']:.2f} s, pool "
        f"{m['pool']:.2f} s); PostgreSQL backends {m['pg_bench']:.2f} s = {m['pg_bench'] * 1000 / max(sent, 1):.2f} "
        f"ms per email; Redis {m['redis']:.2f} s",
        flush=True,
    )


def dump_outcomes(petition, ids: list[int], path: str) -> None:
    """Every claim checked again from scratch in this process, in chunks of 500 in id order (one worker, so which
    claim of two naming one member gets the challenge does not depend on timing), then each claim's verification
    and evidence (all but its ids and times) and the challenges opened, one JSON line a claim. Two checkouts'
    files are equal when they decide every claim alike (before `cd8de10` run both with the same PYTHONHASHSEED:
    the candidate search broke rare ties in the order of a set of strings)."""
    import json

    from signatures.models import Signature
    from verification import claims
    from verification.models import RosterChallenge

    reset(petition)
    for n in range(0, len(ids), 500):
        claims.verify_claims(ids[n : n + 500], worker="bench-dump")
    challenged: dict[int, list[tuple[int, str]]] = {}
    for signature_id, entry_id, address in (
        RosterChallenge.objects.filter(petition=petition)
        .order_by("signature_id", "roster_entry_id")
        .values_list("signature_id", "roster_entry_id", "address")
    ):
        challenged.setdefault(signature_id, []).append((entry_id, address))
    with open(path, "w", encoding="utf-8") as out:
        for s in Signature.objects.filter(pk__in=ids).select_related("evidence").order_by("pk"):
            row = [s.pk, s.verification, s.verified_at is not None]
            if (e := s.evidence) is not None:
                row += [e.verdict, e.method, e.roster_entry_id, e.roster_name, e.shown_name, e.score, e.candidates]
                row += [e.detail, e.warnings]
            row.append(challenged.get(s.pk, []))
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"every claim's outcome, evidence and challenges written to {path}", flush=True)


# ---------------------------------------------------------------------------------------------------- profile


def profile(petition, ids: list[int], kinds: dict[int, str], count: int) -> None:
    """Check `count` claims of each kind in this process (warm roster index, one connection), one by one
    (`verify_claim`, as a confirmation's task does) and as one chunk (`verify_claims`, as a re-check's task does):
    time and queries per claim without a profiler, then again under cProfile for the hottest functions."""
    from verification import claims

    def one_by_one(sample: list[int]) -> None:
        for pk in sample:
            claims.verify_claim(pk, worker="bench-profile")

    def one_chunk(sample: list[int]) -> None:
        claims.verify_claims(sample, worker="bench-profile")

    print(f"== profile: {count} claims of each kind checked in this process (no emails)")
    for mode, check in (("one by one", one_by_one), ("one chunk", one_chunk)):
        _profile_mode(mode, check, ids, kinds, count)


def _profile_mode(mode: str, check, ids: list[int], kinds: dict[int, str], count: int) -> None:
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    from signatures.models import Signature
    from verification.models import Evidence, RosterChallenge

    def reset_sample(sample: list[int]) -> None:
        Signature.objects.filter(pk__in=sample).update(
            verification=Signature.Verification.PENDING, evidence=None, verified_at=None
        )
        RosterChallenge.objects.filter(signature_id__in=sample).delete()
        Evidence.objects.filter(signature_id__in=sample).delete()

    profiler = cProfile.Profile()
    shapes: dict[str, Counter[str]] = {}
    times: dict[str, Counter[str]] = {}
    for kind in KINDS:
        sample = [pk for pk in ids if kinds[pk] == kind][:count]
        reset_sample(sample)
        reset_queries()  # the query log keeps 9,000: start each kind empty
        with CaptureQueriesContext(connection) as queries:
            began = time.perf_counter()
            check(sample)
            wall = time.perf_counter() - began
        db = sum(float(q["time"]) for q in queries.captured_queries)
        shapes[kind], times[kind] = Counter(), Counter()
        for query in queries.captured_queries:
            shapes[kind][_shape(query["sql"])] += 1
            times[kind][_shape(query["sql"])] += float(query["time"])
        print(
            f"profile {mode}, {kind}: {wall * 1000 / len(sample):.2f} ms per claim, {len(queries) / len(sample):.2f} "
            f"queries per claim ({db * 1000 / len(sample):.2f} ms of it in cursor.execute)"
        )
        reset_sample(sample)
        profiler.enable()
        check(sample)
        profiler.disable()
    for kind in KINDS:
        top = ", ".join(
            f"{c / count:.2f}× {s} ({times[kind][s] * 1000 / count:.2f} ms)" for s, c in shapes[kind].most_common(12)
        )
        print(f"profile {mode}, {kind}, queries per claim: {top}")
    stats = pstats.Stats(profiler)
    total = len(KINDS) * count
    for title, column, mine in (("cumulative, project code", 3, True), ("own time, any code", 2, False)):
        rows = sorted(stats.stats.items(), key=lambda item, c=column: item[1][c], reverse=True)
        shown = []
        for (filename, line, function), values in rows:
            if mine and (str(ROOT) + "/" not in filename or ".venv" in filename):
                continue
            where = re.sub(r".*/(site-packages|lib/python3\.\d+)/|" + re.escape(str(ROOT)) + "/", "", filename)
            shown.append(f"{values[column] * 1000 / total:.3f} {where}:{line}({function})")
            if len(shown) == 14:
                break
        print(f"profile {mode}, hottest by {title} (ms per claim under cProfile): " + "; ".join(shown))


def _shape(sql: str) -> str:
    """A query with its values elided, short: the verb and the table(s), to count queries by kind."""
    sql = re.sub(r"'[^']*'|\b\d+\b", "?", sql)
    sql = re.sub(r'"s\d+_x\d+"', "sp", sql)
    verb = sql.split(None, 1)[0].upper()
    tables = list(dict.fromkeys(re.findall(r'(?:FROM|INTO|UPDATE|JOIN) "(\w+)"', sql)))
    extra = " FOR UPDATE" if "FOR UPDATE" in sql else ""
    if verb == "SELECT" and "COUNT(" in sql.upper():
        verb = "SELECT COUNT"
    if verb == "SELECT" and re.search(r"SELECT \? AS \"a\"", sql):
        verb = "SELECT EXISTS"
    return f"{verb} {'+'.join(tables)}{extra}" if tables else sql[:40]


if __name__ == "__main__":
    main()
