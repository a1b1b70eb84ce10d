"""Signing timing: does the response time tell whether an address had already signed? (issue 10)

A throw-away PostgreSQL database (next to DATABASE_URL's, dropped at the end) with one open letter. Requests go
through Django's full stack in this process (middleware, CSRF, rate limits in Redis, the form, the signing, the
task published to a real Redis broker whose queue is purged at the end; no worker runs); the time measured is
the server's own, with no network in between. --requests POSTs alternate between a new address and the address
of a signature already there, in each state (unconfirmed, confirmed, withdrawn, rejected); it prints each
path's median and the difference from the new address's.

    SECRET_KEY=x DATABASE_URL=postgres://postgres@127.0.0.1:5432/undersigned \\
    CELERY_BROKER_URL=redis://127.0.0.1:6379/12 REDIS_URL=redis://127.0.0.1:6379/13 \\
        .venv/bin/python bench/sign_timing.py [--requests 400]
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from run import create_database, drop_database, throwaway_database_url  # noqa: E402

STATES = ("unconfirmed", "confirmed", "withdrawn", "rejected")


def run(args) -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client
    from django.test.utils import override_settings

    from petitions.models import Petition
    from signatures import services
    from undersigned.celery import app

    call_command("migrate", verbosity=0)
    petition = Petition.objects.create(slug="timing", title="Timing", status=Petition.Status.OPEN)
    petition.record_version()
    details = {"affiliation": None, "role": "", "organisation": "", "comment": "", "public": True}
    earlier = {}
    for state in STATES:
        signature = services.sign(petition, {**details, "full_name": state, "email": f"{state}@example.org"})
        if state != "unconfirmed":
            services.confirm(signature.pk)
        if state == "withdrawn":
            services.withdraw(signature.pk)
        if state == "rejected":
            services.reject(signature)
        earlier[state] = f"{state}@example.org"

    client = Client(HTTP_HOST="127.0.0.1")
    timings: dict[str, list[float]] = {"new": [], **{state: [] for state in STATES}}
    path = f"/petitions/{petition.slug}/sign/"
    # Every limit raised: a known address signs again dozens of times here, and a parked attempt (or one asked for
    # the challenge) would time another path than signing.
    limits = ["SIGN_RATE_PER_IP", "SIGN_RATE_PER_EMAIL", "SIGN_RATE_PER_ADDRESS", "SIGN_RATE_PER_DOMAIN"]
    limits += ["SIGN_RATE_PER_RANGE", "SIGN_RATE_PER_PETITION", "SIGN_CHALLENGE_THRESHOLD"]
    unlimited = dict.fromkeys(limits, "100000/h")
    with override_settings(**unlimited):
        for n in range(args.warmup + args.requests):
            kind = "new" if n % 2 == 0 else STATES[(n // 2) % len(STATES)]
            email = f"new{n}@example.org" if kind == "new" else earlier[kind]
            data = {"full_name": "Timing Signer", "email": email, "public": "on"}
            began = time.perf_counter()
            response = client.post(path, data)
            took = time.perf_counter() - began
            assert response.status_code == 200, response.status_code
            if n >= args.warmup:
                timings[kind].append(took * 1000)
    with app.connection_for_write() as connection:
        connection.default_channel.queue_purge(app.conf.task_default_queue)

    base = statistics.median(timings["new"])
    print(f"{'path':<32} {'requests':>8} {'median':>9} {'vs new':>9}")
    for kind, values in timings.items():
        label = "new address" if kind == "new" else f"address already {kind}"
        median = statistics.median(values)
        print(f"{label:<32} {len(values):>8} {median:>7.2f} ms {median - base:>+7.2f} ms", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=400, help="measured POSTs (default 400; half new)")
    parser.add_argument("--warmup", type=int, default=40)
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if urlsplit(url).scheme not in ("postgres", "postgresql") or not os.environ.get("CELERY_BROKER_URL"):
        sys.exit("bench/sign_timing.py needs DATABASE_URL=postgres://… and CELERY_BROKER_URL (see its docstring).")
    os.environ.setdefault("SECRET_KEY", "bench-only")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "undersigned.settings")
    os.environ["EMAIL_URL"] = "dummymail://"
    bench_url, bench_db = throwaway_database_url(url)
    create_database(url, bench_db)
    try:
        os.environ["DATABASE_URL"] = bench_url
        print(f"\n== Signing timing: a new address vs one already there ({args.requests} requests)", flush=True)
        run(args)
    finally:
        from django.db import connections

        connections.close_all()
        drop_database(url, bench_db)


if __name__ == "__main__":
    main()
