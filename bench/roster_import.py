"""Roster import: time and peak memory of `verification.rosters.import_roster` for a generated CSV.

A throw-away PostgreSQL database is created next to DATABASE_URL's (dropped at the end) and migrated; one
affiliation gets --rows generated members (accented names, ~80 % with an address, ~50 % with an external id),
imported from a file on disk, as the worker imports an upload. Then the same file again (every row matches
an entry: nothing to write), then the same members with a tenth of the addresses moved and a tenth more members,
and with --sqlite the same on an SQLite file too. Peak memory is the
process's peak resident size during the import, above what it held before (Linux VmHWM, reset per step);
"CPU here" is this process's CPU time, and PostgreSQL's that of its backend (the figures least moved by a busy
machine).

    SECRET_KEY=x DATABASE_URL=postgres://postgres@127.0.0.1:5432/undersigned \\
        .venv/bin/python bench/roster_import.py [--rows 100000] [--sqlite]
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

from claim_throughput import peak_rss_mib, reset_peak_rss, rss_mib  # noqa: E402
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000, help="roster rows (default 100,000)")
    parser.add_argument("--sqlite", action="store_true", help="also import into a throw-away SQLite file")
    parser.add_argument("--child", choices=("postgres", "sqlite"), help=argparse.SUPPRESS)
    parser.add_argument("--file", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.environ.setdefault("SECRET_KEY", "bench-only")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "undersigned.settings")
    os.environ.pop("CELERY_BROKER_URL", None)
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
        command = [sys.executable, __file__, "--rows", str(args.rows), "--file", str(roster), "--child"]
        try:
            subprocess.run([*command, "postgres"], env={**os.environ, "DATABASE_URL": bench_url}, check=True)
        finally:
            drop_database(url, bench_db)
        if args.sqlite:
            sqlite_url = f"sqlite:///{tmp}/bench.sqlite3"
            subprocess.run([*command, "sqlite"], env={**os.environ, "DATABASE_URL": sqlite_url}, check=True)


if __name__ == "__main__":
    main()
