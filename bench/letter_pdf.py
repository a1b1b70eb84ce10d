"""The press copy at scale: the print page (streamed) and the PDF (WeasyPrint) of a letter with N signatories.

Prints, for N public signatories (default 10,000): time and peak memory to stream the print page, time and
peak memory to lay out the PDF, its size and pages, and a second PDF request (served from the cache).
Run with `make bench`, or `.venv/bin/python bench/letter_pdf.py --rows 2000` with DATABASE_URL as in the
Makefile; a throw-away database is created beside the configured one and dropped at the end.
"""

import argparse
import os
import resource
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from run import copy_signatures, create_database, drop_database, throwaway_database_url  # noqa: E402  (bench/run.py)


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=10_000, help="public signatories (default 10,000)")
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if urlsplit(url).scheme not in ("postgres", "postgresql"):
        sys.exit("bench/letter_pdf.py needs DATABASE_URL=postgres://… (run it with `make bench`).")
    os.environ.setdefault("SECRET_KEY", "bench-only")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "undersigned.settings")
    bench_url, bench_db = throwaway_database_url(url)
    create_database(url, bench_db)
    try:
        os.environ["DATABASE_URL"] = bench_url
        run(args.rows, bench_db)
    finally:
        from django.db import connections

        connections.close_all()
        drop_database(url, bench_db)
        print(f"Dropped the throw-away database {bench_db}.")


def run(rows: int, bench_db: str) -> None:
    import logging

    import django

    django.setup()
    logging.getLogger("weasyprint").setLevel(logging.WARNING)
    from django.core.cache import cache
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from front import press
    from petitions.models import Petition
    from signatures.counts import recount
    from verification.models import Affiliation

    print(f"Throw-away database {bench_db}: migrating …", flush=True)
    call_command("migrate", verbosity=0)
    affiliation = Affiliation.objects.create(slug="bench-artists", name="Bench artists", email_domains="studio.example")
    petition = Petition.objects.create(title="Bench letter", slug="bench-letter", body="We, the undersigned.\n" * 20)
    petition.publish()
    petition.affiliations.add(affiliation)
    copy_signatures(petition, affiliation, rows)
    recount(petition)
    petition.refresh_from_db()

    start, before = time.perf_counter(), peak_rss_mib()
    with CaptureQueriesContext(connection) as queries:
        size = sum(len(piece.encode()) for piece in press.print_html(petition))
    print(
        f"print page, {rows:,} signatories: {time.perf_counter() - start:.2f} s, {size / 1e6:.1f} MB of HTML, "
        f"{len(queries)} queries (none a COUNT: {not any('COUNT(' in q['sql'] for q in queries)}), "
        f"peak RSS {peak_rss_mib():.0f} MiB (was {before:.0f})",
        flush=True,
    )
    cache.delete(f"letter-pdf:{petition.pk}")
    start = time.perf_counter()
    pdf = press.letter_pdf(petition)
    print(
        f"PDF, {rows:,} signatories: {time.perf_counter() - start:.1f} s to lay out, {len(pdf) / 1e6:.1f} MB, "
        f"peak RSS {peak_rss_mib():.0f} MiB",
        flush=True,
    )
    start = time.perf_counter()
    press.letter_pdf(petition)
    print(f"PDF again (cached, unchanged letter): {(time.perf_counter() - start) * 1000:.0f} ms", flush=True)
    cache.delete(f"letter-pdf:{petition.pk}")


if __name__ == "__main__":
    main()
