"""Roster import: time and peak memory of `verification.rosters.import_roster`, and of a worker's import, for a
generated CSV.

A throw-away PostgreSQL database is created next to DATABASE_URL's (dropped at the end) and migrated; one
affiliation gets --rows generated members (accented names, ~80 % with an address, ~50 % with an external id),
imported from a file on disk, as the worker imports an upload. Then the same file again (every row matches
an entry: nothing to write), then the same members with a tenth of the addresses moved and a tenth more members,
and with --sqlite the same on an SQLite file too. Peak memory is the
process's peak resident size during the import, above what it held before (Linux VmHWM, reset per step);
"CPU here" is this process's CPU time, and PostgreSQL's that of its backend (the figures least moved by a busy
machine).

Then, with CELERY_BROKER_URL set (unless --no-worker), the import as production runs it: the file uploaded
(`queue_import` stores it under a temporary MEDIA_ROOT) and imported by a real worker started as bin/worker
starts it (`--worker-command celery`: as `celery -A undersigned worker`), with one pool process, twice, each in
a new worker: a pool process whose first task is the import, and one that has sent a confirmation email first
(which loads the URLconf for its links, as every pool process that has sent an email holds it). Printed: the
import's time in the worker (from its start, seen within 0.05 s, to its end) and from the upload, the pool
process's CPU and the PostgreSQL backends' (the throw-away database's), its RSS before (VmRSS) and its peak
(VmHWM: the pool process is new, so that is its peak since the fork). The broker's Redis database is purged.

    SECRET_KEY=x DATABASE_URL=postgres://postgres@127.0.0.1:5432/undersigned \\
    CELERY_BROKER_URL=redis://127.0.0.1:6379/12 REDIS_URL=redis://127.0.0.1:6379/13 \\
        .venv/bin/python bench/roster_import.py [--rows 100000] [--sqlite] [--only-worker] [--worker-command celery]
"""

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from claim_throughput import (  # noqa: E402
    TEST_BROKER_DB,
    Worker,
    bench_backends_cpu,
    cpu_seconds,
    peak_rss_mib,
    reset_peak_rss,
    rss_mib,
)
from run import DatabaseCpu, create_database, drop_database, throwaway_database_url  # noqa: E402

FIRST = ["Jane", "Kim", "Ana", "Pedro", "María", "Sven", "Aiko", "Olu", "Chen", "Fatima", "Luca", "Zoë", "Łukasz"]
LAST = ["Doe", "Lee", "Núñez", "Alvarez", "Søren", "Tanaka", "Adeyemi", "Wei", "Haddad", "Rossi", "O'Brien"]


def write_roster(path: Path, rows: int, seed: int = 1, changed: bool = False) -> None:
    """`changed`: the same members, a tenth of them with a new address, then a tenth more new members."""
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write("full_name,email,handles,external_id\n")
        for n in range(rows + (rows // 10 if changed else 0)):
            name = f"{rng.choice(FIRST)} {rng.choice(LAST)}-{n}"
            email = f"member{n}@studio.example" if rng.random() < 0.8 else ""
            external_id = f"M-{n}" if rng.random() < 0.5 else ""
            handle = f"@member{n}" if rng.random() < 0.2 else ""
            if changed and n % 10 == 0 and email:
                email = f"member{n}@moved.example"
            out.write(f'"{name}",{email},{handle},{external_id}\n')


def measure(label: str, affiliation, path: Path, replace: bool = False) -> None:
    from django.db import connection

    from verification.rosters import import_roster

    reset_peak_rss()
    before = rss_mib()
    database = DatabaseCpu() if connection.vendor == "postgresql" else None
    cpu = time.process_time()
    began = time.perf_counter()
    with path.open("rb") as source:
        record = import_roster(affiliation, source, path.name, replace=replace)
    took, cpu = time.perf_counter() - began, time.process_time() - cpu
    database_cpu = sum(database.seconds()) if database else 0.0
    peak = peak_rss_mib() - before
    print(
        f"{label:<50} {took:6.2f} s ({cpu:5.2f} s CPU here + {database_cpu:4.2f} s PostgreSQL)  peak +{peak:6.1f} MB   "
        f"({record.rows:,} rows: {record.created:,} created, {record.updated:,} updated, {record.removed:,} removed)",
        flush=True,
    )


def run(args, roster: Path) -> None:
    import django

    django.setup()
    from django.core.management import call_command

    from undersigned.celery import app
    from verification.models import Affiliation

    app.conf.task_always_eager = True  # the import's re-check (no claims) runs here
    call_command("migrate", verbosity=0)
    engine = "PostgreSQL" if "postgres" in os.environ["DATABASE_URL"] else "SQLite"
    affiliation = Affiliation.objects.create(slug="bench", name="Bench")
    size = roster.stat().st_size / 1024 / 1024
    measure(f"import {args.rows:,} new rows ({size:.1f} MB), {engine}", affiliation, roster)
    measure(f"the same file again (all unchanged), {engine}", affiliation, roster)
    measure(f"a tenth moved, a tenth more, {engine}", affiliation, roster.with_name("changed.csv"))


def run_worker(args, roster: Path) -> None:
    """The worker's import, as an upload is imported: the file stored (queue_import), then a real `celery worker`
    (prefork, one pool process, so that process is the one measured) imports it from disk. Twice, each time in a
    new worker: a pool process whose first task is the import, and one that has sent a confirmation email first
    (its links are built with reverse(), which loads the URLconf: what a pool process that has sent any email
    holds)."""
    import django

    django.setup()
    from django.core.files import File

    from petitions.models import Petition
    from signatures.models import OutgoingConfirmation
    from signatures.services import sign
    from verification.models import Affiliation
    from verification.rosters import queue_import

    size = roster.stat().st_size / 1024 / 1024
    for step, emailed in enumerate((False, True)):
        worker = Worker(concurrency=1, loglevel="WARNING", command=WORKER_COMMANDS[args.worker_command])
        worker.start()
        try:
            (child,) = worker.pids()[1:]
            label = "a worker's pool process, an email sent first" if emailed else "a worker's new pool process"
            if emailed:
                petition = Petition.objects.create(title=f"Bench {step}", slug=f"bench-{step}", body="We sign.")
                petition.publish()
                sign(petition, {"full_name": "Bench Signer", "email": f"signer{step}@example.org"})
                wait_for(lambda: not OutgoingConfirmation.objects.exists(), "the confirmation email")
            time.sleep(0.5)  # the pool process idle again after its task (or its start)
            before = rss_mib(child)
            cpu = cpu_seconds(child)
            affiliation = Affiliation.objects.create(slug=f"bench-worker-{step}", name="Bench")
            database = BackendsCpu()
            began = time.perf_counter()
            with roster.open("rb") as upload:
                record = queue_import(affiliation, File(upload, name="roster.csv"))
            record, started = finished(record.pk, began, database)
            took, cpu = time.perf_counter() - began, cpu_seconds(child) - cpu
            peak = rss_mib(child, "VmHWM")
            print(
                f"{label:<46} {took - started:5.2f} s ({cpu:4.2f} s CPU + {database.seconds():4.2f} s PostgreSQL; "
                f"{took:4.2f} s from the upload)  "
                f"{size:.1f} MB file  RSS before {before:5.1f} MiB, peak {peak:5.1f} MiB  "
                f"({record.state}: {record.rows:,} rows, {record.created:,} created)",
                flush=True,
            )
        finally:
            worker.stop()


class BackendsCpu:
    """CPU seconds of the throw-away database's PostgreSQL backends (the worker's) since this was made, sampled
    while the import runs (a backend that disconnects keeps its last sample), this process's own left out."""

    def __init__(self) -> None:
        from django.db import connection

        self.name = connection.settings_dict["NAME"]
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            self.own = cursor.fetchone()[0]
        self.start = bench_backends_cpu(self.name)
        self.last = dict(self.start)

    def sample(self) -> None:
        self.last.update(bench_backends_cpu(self.name))

    def seconds(self) -> float:
        return sum(cpu - self.start.get(pid, 0.0) for pid, cpu in self.last.items() if pid != self.own)


# How the worker is started: as bin/worker starts it, or through Celery's whole command line (as before 2026-11-26).
WORKER_COMMANDS = {
    "bin/worker": [sys.executable, "-m", "undersigned.worker"],
    "celery": [sys.executable, "-m", "celery", "-A", "undersigned", "worker"],
}


def finished(pk: int, began: float, database: "BackendsCpu", timeout: float = 120):
    """The upload's record once the worker is done with it, and when it started (seconds after `began`, within
    0.05 s: when its state leaves `queued`)."""
    from verification.models import RosterImport

    started = None
    deadline = time.monotonic() + timeout
    while (record := RosterImport.objects.get(pk=pk)).in_progress:
        if started is None and record.state != RosterImport.State.QUEUED:
            started = time.perf_counter() - began
        if time.monotonic() > deadline:
            raise RuntimeError(f"the worker did not finish the import in {timeout} s")
        database.sample()
        time.sleep(0.05)
    database.sample()
    return record, started or 0.0


def wait_for(condition, what: str, timeout: float = 120):
    deadline = time.monotonic() + timeout
    while not (found := condition()):
        if time.monotonic() > deadline:
            raise RuntimeError(f"the worker did not finish {what} in {timeout} s")
        time.sleep(0.05)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000, help="roster rows (default 100,000)")
    parser.add_argument("--sqlite", action="store_true", help="also import into a throw-away SQLite file")
    parser.add_argument(
        "--worker",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also import through a real Celery worker (needs CELERY_BROKER_URL; default: yes)",
    )
    parser.add_argument(
        "--worker-command",
        choices=WORKER_COMMANDS,
        default="bin/worker",
        help="start the worker as bin/worker does (default), or as `celery -A undersigned worker`",
    )
    parser.add_argument("--only-worker", action="store_true", help="only the worker's imports")
    parser.add_argument("--child", choices=("postgres", "sqlite", "worker"), help=argparse.SUPPRESS)
    parser.add_argument("--file", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.environ.setdefault("SECRET_KEY", "bench-only")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "undersigned.settings")
    broker = os.environ.pop("CELERY_BROKER_URL", None)
    if args.child == "worker":
        os.environ["CELERY_BROKER_URL"] = broker
        run_worker(args, args.file)
        return
    if args.child:  # one engine per process, so that each peak is its own
        run(args, args.file)
        return

    url = os.environ.get("DATABASE_URL", "")
    if urlsplit(url).scheme not in ("postgres", "postgresql"):
        sys.exit("bench/roster_import.py needs DATABASE_URL=postgres://… (see its docstring).")
    print(f"\n== Roster import, {args.rows:,} rows", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        roster = Path(tmp) / "roster.csv"
        write_roster(roster, args.rows)
        write_roster(roster.with_name("changed.csv"), args.rows, changed=True)
        bench_url, bench_db = throwaway_database_url(url)
        create_database(url, bench_db)
        command = [sys.executable, __file__, "--rows", str(args.rows), "--file", str(roster)]
        command += ["--worker-command", args.worker_command, "--child"]
        try:
            if args.only_worker:
                subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, check=True,
                               env={**os.environ, "DATABASE_URL": bench_url})  # fmt: skip
            else:
                subprocess.run([*command, "postgres"], env={**os.environ, "DATABASE_URL": bench_url}, check=True)
            if args.worker and broker and urlsplit(broker).path.strip("/") in ("", "0", str(TEST_BROKER_DB)):
                print(f"No worker step: its queue is purged, and {broker} is the tests' broker (or db 0).")
            elif args.worker and broker:
                worker_env = {**os.environ, "DATABASE_URL": bench_url, "CELERY_BROKER_URL": broker,
                              "MEDIA_ROOT": tmp, "EMAIL_URL": "dummymail://"}  # fmt: skip
                subprocess.run([*command, "worker"], env=worker_env, check=True)
        finally:
            drop_database(url, bench_db)
        if args.sqlite:
            sqlite_url = f"sqlite:///{tmp}/bench.sqlite3"
            subprocess.run([*command, "sqlite"], env={**os.environ, "DATABASE_URL": sqlite_url}, check=True)


if __name__ == "__main__":
    main()
