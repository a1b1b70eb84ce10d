"""Outage drills: the broker killed, the worker killed mid-re-check, the mail server down; what was lost.

The production stack as real processes on loopback (tests/support/stack.py): a private redis-server as the
broker (no persistence: a restart loses every queued task), an SMTP sink, and bin/web, bin/worker, bin/beat
on a throw-away PostgreSQL database created next to DATABASE_URL's (dropped at the end). The sweepers run
every second and take what has waited --sweep-after seconds. Signers sign and confirm through the web
server (HTTP, CSRF); each drill then waits until the stack has caught up (or --settle seconds) and prints
what was lost, which must be nothing: emails that never arrived, emails sent twice, claims still pending,
re-check progress that is not exact. It also prints the signing request's median during the outage next
to the normal one (the cost of an unreachable broker). Exit status 1 if anything was lost.

    SECRET_KEY=x DATABASE_URL=postgres://postgres@127.0.0.1:5432/undersigned \\
        .venv/bin/python bench/outage_drills.py [--signers 30] [--smtp-down 600] [--recheck 1500]

The mail server is down for the issue's 10 minutes by default (--smtp-down 600), far past the mail tasks' retry
budget (shrunk to one retry): the sweeper must deliver. BENCH_QUICK=1 holds it down 20 s instead, for a short run.
"""

import argparse
import os
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from run import create_database, drop_database, throwaway_database_url  # noqa: E402

LOST = []


def timed_sign(browser, slug: str, affiliation: str, people) -> list[float]:
    took = []
    for name, email in people:
        _, page = browser.get(f"/petitions/{slug}/")
        began = time.perf_counter()
        status, _ = browser.post(
            f"/petitions/{slug}/sign/",
            {"full_name": name, "email": email, "affiliation": affiliation, "public": "on"},
            page,
        )
        took.append((time.perf_counter() - began) * 1000)
        assert status == 200, status
    return took


def confirm_all(browser, letter) -> None:
    from signatures import tokens
    from signatures.models import Signature

    for signature in Signature.objects.filter(petition=letter):
        assert browser.confirm(tokens.confirm_token(signature)) == 200


def caught_up(stack, letter, people, settle: float) -> tuple[float, bool]:
    from signatures.models import Signature

    began = time.monotonic()
    deadline = began + settle
    pending = Signature.objects.filter(petition=letter, verification=Signature.Verification.PENDING)
    while time.monotonic() < deadline:
        if all(stack.mail.count_to(email) >= 1 for _, email in people) and not pending.exists():
            return time.monotonic() - began, True
        time.sleep(0.25)
    return time.monotonic() - began, False


def report(name: str, stack, letter, people, took: float, done: bool) -> None:
    from signatures.models import OutgoingConfirmation, Signature

    time.sleep(3)  # a few more sweeps: none may send anything twice
    counts = [stack.mail.count_to(email) for _, email in people]
    missing = sum(1 for c in counts if c == 0)
    twice = sum(c - 1 for c in counts if c > 1)
    pending = Signature.objects.filter(petition=letter, verification=Signature.Verification.PENDING).count()
    owed = OutgoingConfirmation.objects.filter(signature__petition=letter).count()
    lost = missing + pending
    state = f"caught up in {took:.1f} s" if done else f"NOT caught up after {took:.1f} s"
    print(
        f"{name:<34} {len(people)} signers: {missing} emails lost, {twice} sent twice, {pending} claims pending, "
        f"{owed} still owed; {state}",
        flush=True,
    )
    if lost or not done:
        LOST.append(name)


def letter_with_members(n: int, prefix: str):
    from tests.support.factories import make_affiliation, make_petition, make_roster_entry

    affiliation = make_affiliation(f"{prefix}-members")
    letter = make_petition(affiliations=[affiliation])
    people = [(f"Member {prefix} {i}", f"{prefix}{i}@members.example") for i in range(n)]
    for name, email in people:
        make_roster_entry(affiliation, name, email)
    return letter, affiliation, people


def drill_broker(stack, args) -> None:
    letter, affiliation, people = letter_with_members(args.signers, "broker")
    browser = stack.browser()
    normal = timed_sign(browser, letter.slug, affiliation.slug, people[: len(people) // 2])
    stack.broker.kill()
    outage = timed_sign(browser, letter.slug, affiliation.slug, people[len(people) // 2 :])
    confirm_all(browser, letter)
    time.sleep(args.broker_down)
    stack.broker.start()
    took, done = caught_up(stack, letter, people, args.settle)
    report("broker killed, restarted empty", stack, letter, people, took, done)
    print(
        f"{'':<34} signing median {statistics.median(normal):.1f} ms with the broker up, "
        f"{statistics.median(outage):.1f} ms (max {max(outage):.1f} ms) with it down",
        flush=True,
    )


def drill_smtp(stack, args) -> None:
    letter, affiliation, people = letter_with_members(args.signers, "smtp")
    browser = stack.browser()
    stack.mail.stop()
    timed_sign(browser, letter.slug, affiliation.slug, people)
    confirm_all(browser, letter)
    time.sleep(args.smtp_down)
    stack.mail.start()
    took, done = caught_up(stack, letter, people, args.settle)
    report(f"mail server down {args.smtp_down:g} s", stack, letter, people, took, done)


def drill_worker(stack, args) -> None:
    import subprocess

    from signatures.models import Signature
    from verification.models import Recheck, RosterEntry

    letter, affiliation, people = letter_with_members(args.signers, "worker")
    browser = stack.browser()
    timed_sign(browser, letter.slug, affiliation.slug, people)
    confirm_all(browser, letter)
    caught_up(stack, letter, people, args.settle)
    # A re-check big enough to be killed in the middle: members confirmed before they were on the roster, then
    # added to it (written here directly: the drill queues the re-check itself, through the command).
    from signatures import services

    for i in range(args.recheck):
        details = {"full_name": f"Late member {i}", "email": f"late{i}@members.example", "affiliation": affiliation}
        signature = services.sign(letter, {**details, "public": True}, send_email=False)
        Signature.objects.filter(pk=signature.pk).update(
            status=Signature.Status.CONFIRMED, verification=Signature.Verification.UNVERIFIED
        )
    entries = [
        RosterEntry(affiliation=affiliation, full_name=f"Late member {i}", email=f"late{i}@members.example")
        for i in range(args.recheck)
    ]
    for entry in entries:
        entry.fill_keys()
    RosterEntry.objects.bulk_create(entries)
    subprocess.run(
        [sys.executable, "manage.py", "verify_signatures", "--affiliation", affiliation.slug],
        env=stack.env,
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    recheck = Recheck.objects.filter(affiliation=affiliation).latest("pk")
    verified = Signature.objects.filter(petition=letter, full_name__startswith="Late", verification="verified")
    deadline = time.monotonic() + 60
    while verified.count() < 20 and time.monotonic() < deadline:
        time.sleep(0.02)
    stack.kill("worker", signal.SIGKILL)
    recheck.refresh_from_db()
    at_kill = (recheck.done, recheck.total, verified.count())
    stack.start("worker")
    began = time.monotonic()
    while not Recheck.objects.get(pk=recheck.pk).finished_at and time.monotonic() - began < args.settle:
        time.sleep(0.25)
    recheck.refresh_from_db()
    not_verified = Signature.objects.filter(petition=letter, full_name__startswith="Late").exclude(
        verification="verified"
    )
    exact = recheck.done == recheck.total
    print(
        f"{'worker SIGKILLed mid-re-check':<34} {recheck.total} claims: killed at {at_kill[0]}/{at_kill[1]} done "
        f"({at_kill[2]} verified); after restart {recheck.done}/{recheck.total} done "
        f"({'exact' if exact else 'NOT EXACT'}), {not_verified.count()} claims not decided; "
        f"{'finished' if recheck.finished_at else 'NOT finished'} {time.monotonic() - began:.1f} s after the restart",
        flush=True,
    )
    if not exact or not_verified.exists() or not recheck.finished_at:
        LOST.append("worker")


def run(args, bench_url: str) -> None:
    import django

    django.setup()
    import logging

    from django.core.management import call_command

    from tests.support.stack import Broker, MailSink, Stack
    from undersigned.celery import app

    logging.getLogger("mail.log").setLevel(logging.WARNING)  # the SMTP sink's every command
    app.conf.task_always_eager = True  # what this process queues (the roster import's re-check) runs here
    call_command("migrate", verbosity=0)
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        broker, mail = Broker(workdir), MailSink()
        broker.start()
        mail.start()
        stack = Stack(
            bench_url,
            broker,
            mail,
            workdir,
            SWEEP_EVERY="1",
            SWEEP_AFTER=str(args.sweep_after),
            MAIL_RETRIES="1",
            MAIL_RETRY_BACKOFF_MAX="1",
        )
        stack.broker, stack.mail = broker, mail
        try:
            for name in ("web", "worker", "beat"):
                stack.start(name)
            drills = {"broker": drill_broker, "smtp": drill_smtp, "worker": drill_worker}
            for name in args.drills:
                if broker.process.poll() is not None:
                    broker.start()
                if mail.controller is None:
                    mail.start()
                drills[name](stack, args)
        finally:
            stack.stop_all()
            mail.stop()
            broker.kill()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--signers", type=int, default=30, help="signers per drill (default 30)")
    quick = os.environ.get("BENCH_QUICK", "") not in ("", "0")
    parser.add_argument(
        "--smtp-down",
        type=float,
        default=20 if quick else 600,
        help="seconds the mail server is down (default 600, the issue's 10 minutes; 20 with BENCH_QUICK=1)",
    )
    parser.add_argument("--broker-down", type=float, default=5, help="seconds the broker stays down (default 5)")
    parser.add_argument("--recheck", type=int, default=1500, help="claims in the killed re-check (default 1,500)")
    parser.add_argument("--sweep-after", type=int, default=3, help="the sweepers' SWEEP_AFTER (default 3 s)")
    parser.add_argument("--settle", type=float, default=120, help="seconds each drill may take to catch up")
    parser.add_argument(
        "--drills", nargs="+", default=["broker", "smtp", "worker"], choices=["broker", "smtp", "worker"]
    )
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if urlsplit(url).scheme not in ("postgres", "postgresql"):
        sys.exit("bench/outage_drills.py needs DATABASE_URL=postgres://… (see its docstring).")
    os.environ.setdefault("SECRET_KEY", "bench-only")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "undersigned.settings")
    os.environ.pop("CELERY_BROKER_URL", None)
    bench_url, bench_db = throwaway_database_url(url)
    create_database(url, bench_db)
    print("\n== Outage drills (real processes; what was lost must be nothing)", flush=True)
    try:
        os.environ["DATABASE_URL"] = bench_url
        run(args, bench_url)
    finally:
        from django.db import connections

        connections.close_all()
        drop_database(url, bench_db)
    if LOST:
        print(f"LOST in: {', '.join(LOST)}")
        sys.exit(1)
    print("Nothing lost.")


if __name__ == "__main__":
    main()
