"""Benchmarks: the signers CSV export at scale (speed and flat memory) and claim verification on a big roster.

Run with `make bench` (PostgreSQL from DATABASE_URL). Everything happens in a throw-away database created
next to the configured one and dropped at the end, so the configured database is never touched.

    make bench                                   # 1,000,000 signatures
    .venv/bin/python bench/run.py --rows 200000  # with DATABASE_URL set as in the Makefile
"""

import argparse
import os
import resource
import sys
import time
import tracemalloc
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

FIRST = ["Jane", "Kim", "Ana", "Pedro", "María", "Sven", "Aiko", "Olu", "Chen", "Fatima", "Luca", "Zoë"]
LAST = ["Doe", "Lee", "Núñez", "Alvarez", "Søren", "Tanaka", "Adeyemi", "Wei", "Haddad", "Rossi", "O'Brien"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000, help="signatures to export (default 1,000,000)")
    parser.add_argument("--roster", type=int, default=10_000, help="roster entries for verification (10,000)")
    parser.add_argument("--claims", type=int, default=500, help="claims to verify against that roster (500)")
    parser.add_argument("--no-tracemalloc", action="store_true", help="skip the second, traced export pass")
    args = parser.parse_args()

    url = os.environ.get("DATABASE_URL", "")
    if urlsplit(url).scheme not in ("postgres", "postgresql"):
        sys.exit("bench/run.py needs DATABASE_URL=postgres://… (run it with `make bench`).")
    os.environ.setdefault("SECRET_KEY", "bench-only")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "undersigned.settings")
    bench_url, bench_db = throwaway_database_url(url)
    create_database(url, bench_db)
    try:
        os.environ["DATABASE_URL"] = bench_url
        run(args, bench_db)
    finally:
        from django.db import connections

        connections.close_all()
        drop_database(url, bench_db)
        print(f"\nDropped the throw-away database {bench_db}.")


def throwaway_database_url(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    name = f"{parts.path.lstrip('/') or 'undersigned'}_bench_{os.getpid()}"
    return urlunsplit(parts._replace(path=f"/{name}")), name


def _admin_connection(url: str):
    import psycopg

    parts = urlsplit(url)
    return psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True)


def create_database(url: str, name: str) -> None:
    from psycopg import sql

    with _admin_connection(url) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def drop_database(url: str, name: str) -> None:
    from psycopg import sql

    with _admin_connection(url) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def rss_kib() -> int:
    """The resident set size now (not the peak), from /proc."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class DatabaseCpu:
    """CPU seconds spent by this connection's PostgreSQL backend and by the parallel workers it starts.

    Read from /proc (the database runs on this machine). A parallel worker lives only as long as its query, so
    sample() is called while the export runs and keeps each worker's last figure (its tail after the last
    sample is missed: a slight undercount).
    """

    def __init__(self) -> None:
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            self.backend = cursor.fetchone()[0]
        self.tag = f"parallel worker for PID {self.backend}".encode()
        self.start = process_cpu(self.backend)
        self.workers: dict[int, float] = {}

    def sample(self) -> None:
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            try:
                with open(f"/proc/{entry.name}/cmdline", "rb") as cmdline:
                    if self.tag in cmdline.read():
                        self.workers[int(entry.name)] = process_cpu(int(entry.name))
            except OSError:
                continue

    def seconds(self) -> tuple[float, float]:
        """(backend, parallel workers) CPU seconds since this was made."""
        return process_cpu(self.backend) - self.start, sum(self.workers.values())


def process_cpu(pid: int) -> float:
    """User + system CPU seconds of a process on this machine (/proc/<pid>/stat), e.g. a PostgreSQL backend."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peak_rss_kib() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def run(args, bench_db: str) -> None:
    import django

    django.setup()
    from django.core.management import call_command

    print(f"Throw-away database {bench_db}: migrating …", flush=True)
    call_command("migrate", verbosity=0)

    from petitions.models import Petition
    from verification.models import Affiliation

    affiliation = Affiliation.objects.create(slug="bench-artists", name="Bench artists", email_domains="studio.example")
    petition = Petition.objects.create(title="Bench letter", slug="bench-letter", body="We, the undersigned.")
    petition.publish()
    petition.affiliations.add(affiliation)

    bench_export(petition, affiliation, args.rows, traced=not args.no_tracemalloc)
    bench_verification(petition, affiliation, args.roster, args.claims)


def copy_signatures(petition, affiliation, rows: int) -> None:
    """COPY `rows` confirmed, verified signatures (each with its evidence) straight into the tables."""
    from django.db import connection, transaction
    from django.utils import timezone

    from signatures.addresses import email_key
    from signatures.models import Signature
    from verification.models import Evidence

    now = timezone.now()
    start = (Signature.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    evidence_start = (Evidence.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1

    def signature_values(n: int) -> dict:
        name = f"{FIRST[n % len(FIRST)]} {LAST[n // len(FIRST) % len(LAST)]} {n}"
        email = f"signer.{n}@studio.example"
        signed = now - timedelta(seconds=rows - n)
        return {
            "id": start + n,
            "petition_id": petition.pk,
            "version_id": petition.current_version_id,
            "full_name": name if n % 50 else f"={name}",  # some hostile cells, to pay for neutralising
            "email": email,
            "email_key": email_key(email),
            "affiliation_id": affiliation.pk,
            "role": "Illustrator" if n % 3 else "",
            "organisation": "Studio, Inc." if n % 4 else "",
            "comment": "" if n % 5 else 'We stand with "them",\nand with you.',
            "public": True,
            "status": Signature.Status.CONFIRMED,
            "verification": Signature.Verification.VERIFIED,
            "evidence_id": evidence_start + n,
            "created_at": signed,
            "confirmed_at": signed + timedelta(minutes=5),
            "verified_at": signed + timedelta(minutes=6),
        }

    def evidence_values(n: int) -> dict:
        return {
            "id": evidence_start + n,
            "signature_id": start + n,
            "verdict": Signature.Verification.VERIFIED,
            "method": Evidence.Method.EMAIL_DOMAIN,
            "candidates": "[]",
            "detail": "confirmed address at studio.example",
            "worker": "bench",
            "created_at": now,
        }

    with transaction.atomic(), connection.cursor() as cursor:
        # Foreign keys are deferred to the commit, so signatures may name the evidence COPYed after them.
        _copy(cursor, Signature, rows, signature_values)
        _copy(cursor, Evidence, rows, evidence_values)
        for model in (Signature, Evidence):
            table = model._meta.db_table
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def _copy(cursor, model, rows: int, values) -> None:
    """COPY rows built by `values(n)`; fields it does not name take their model default."""
    fields = model._meta.concrete_fields
    sample = values(0)
    defaults = {f.attname: f.get_default() for f in fields if f.attname not in sample}
    columns = ", ".join(f'"{f.column}"' for f in fields)
    with cursor.cursor.copy(f'COPY "{model._meta.db_table}" ({columns}) FROM STDIN') as copy:
        for n in range(rows):
            row = values(n)
            copy.write_row([row[f.attname] if f.attname in row else defaults[f.attname] for f in fields])


def bench_export(petition, affiliation, rows: int, traced: bool) -> None:
    from signatures.export import export_rows

    print(f"\n== Export: {rows:,} confirmed, verified signatures", flush=True)
    began = time.perf_counter()
    copy_signatures(petition, affiliation, rows)
    print(f"COPY of {rows:,} signatures and their evidence: {time.perf_counter() - began:.1f} s", flush=True)

    checkpoints = {max(1, rows * k // 10) for k in (1, 5, 10)}
    rss_before, peak_before = rss_kib(), peak_rss_kib()
    samples, highest, written, count = [], rss_before, 0, -1
    database = DatabaseCpu()
    cpu_here = time.process_time()
    began = time.perf_counter()
    for count, line in enumerate(export_rows(petition)):
        written += len(line.encode("utf-8"))
        if count % 10_000 == 0:
            highest = max(highest, rss_kib())
            database.sample()
        if count in checkpoints:
            samples.append((count, rss_kib()))
    wall = time.perf_counter() - began
    cpu_here = time.process_time() - cpu_here
    highest = max(highest, rss_kib())
    assert count == rows, f"exported {count:,} rows, expected {rows:,}"
    print(f"export_rows: {count:,} rows, {written / 1e6:,.1f} MB of CSV in {wall:.1f} s = {count / wall:,.0f} rows/s")
    print_cpu(cpu_here, database)
    print(f"RSS before {rss_before / 1024:.1f} MiB; highest during {highest / 1024:.1f} MiB", end="")
    print(f" (growth {(highest - rss_before) / 1024:+.1f} MiB)")
    print("RSS at " + ", ".join(f"row {n:,}: {kib / 1024:.1f} MiB" for n, kib in samples))
    print(f"peak RSS of the process (getrusage): {peak_before / 1024:.1f} → {peak_rss_kib() / 1024:.1f} MiB")

    bench_export_bytes(petition, rows)

    if traced:
        tracemalloc.start()
        began = time.perf_counter()
        for _ in export_rows(petition):
            pass
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(f"tracemalloc pass: peak Python allocation {peak / 1024 / 1024:.2f} MiB over {rows:,} rows", end="")
        print(f" ({time.perf_counter() - began:.1f} s traced)")


def print_cpu(here: float, database: DatabaseCpu) -> None:
    backend, workers = database.seconds()
    print(
        f"CPU: {here + backend + workers:.2f} s ({here:.2f} s Python here + {backend:.2f} s its PostgreSQL backend"
        f" + {workers:.2f} s parallel workers)"
    )


def bench_export_bytes(petition, rows: int) -> None:
    """What the admin's download and export_signatures send: the same CSV in blocks (absent before issue 9)."""
    from signatures import export

    if not hasattr(export, "export_bytes"):
        return
    peak_before, written = peak_rss_kib(), 0
    database = DatabaseCpu()
    cpu_here = time.process_time()
    began = time.perf_counter()
    for n, block in enumerate(export.export_bytes(petition)):
        written += len(block)
        if n % 100 == 0:
            database.sample()
    wall = time.perf_counter() - began
    cpu_here = time.process_time() - cpu_here
    print(f"export_bytes (the download): {written / 1e6:,.1f} MB in {wall:.1f} s = {rows / wall:,.0f} rows/s")
    print_cpu(cpu_here, database)
    print(f"peak RSS of the process (getrusage): {peak_before / 1024:.1f} → {peak_rss_kib() / 1024:.1f} MiB")


def bench_verification(petition, affiliation, roster_size: int, claim_count: int) -> None:
    from django.db.models import Count

    from petitions.models import Petition
    from signatures.models import Signature
    from verification import claims, matching
    from verification.models import Evidence, RosterEntry

    print(f"\n== Verification: {claim_count:,} claims against a roster of {roster_size:,}", flush=True)
    entries = [
        RosterEntry(affiliation=affiliation, full_name=f"{FIRST[n % 12]} {LAST[n // 12 % 11]} Member{n}")
        for n in range(roster_size)
    ]
    for entry in entries:
        entry.fill_keys()
    RosterEntry.objects.bulk_create(entries, batch_size=2000)

    # Worst case for the name check: addresses on no roster and no affiliation domain, so every claim is
    # compared with every roster name. Half are on the roster by name (review), half are nobody (unverified).
    other = Petition.objects.create(title="Bench claims", slug="bench-claims", body="Claims.")
    other.publish()
    version = other.current_version
    signatures = [
        Signature(
            petition=other,
            version=version,
            full_name=entries[n * 7 % roster_size].full_name if n % 2 else f"Nobody Known {n}",
            email=f"claimant{n}@elsewhere.example",
            email_key=f"claimant{n}@elsewhere.example",
            affiliation=affiliation,
            status=Signature.Status.CONFIRMED,
            verification=Signature.Verification.PENDING,
        )
        for n in range(claim_count)
    ]
    ids = [s.pk for s in Signature.objects.bulk_create(signatures, batch_size=2000)]

    def reset() -> None:
        Signature.objects.filter(pk__in=ids).update(
            verification=Signature.Verification.PENDING, evidence=None, verified_at=None
        )
        Evidence.objects.filter(signature_id__in=ids).delete()

    def timed(label: str, work) -> None:
        reset()
        began = time.perf_counter()
        work()
        wall = time.perf_counter() - began
        outcomes = dict(
            Signature.objects.filter(pk__in=ids).values_list("verification").annotate(n=Count("id")).order_by()
        )
        rate = f"{claim_count / wall:,.1f} claims/s ({wall * 1000 / claim_count:.1f} ms per claim)"
        print(f"{label}: {rate}; outcomes {outcomes}")

    def cold(signature_id: int) -> None:
        matching._ROSTER_INDEXES.clear()  # as if the roster had changed before every claim
        claims.verify_claim(signature_id)

    timed("verify_claim, roster index rebuilt for every claim (cold)", lambda: [cold(i) for i in ids])
    matching._ROSTER_INDEXES.clear()
    timed(
        "verify_claim one by one, roster index kept by the worker (warm)", lambda: [claims.verify_claim(i) for i in ids]
    )
    timed("verify_claims in one batch", lambda: claims.verify_claims(ids))


if __name__ == "__main__":
    main()
