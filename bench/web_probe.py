"""In-process measurements for bench/web.py, run inside one checkout (its own code on sys.path, cwd = its root).

Only uses what every version of the code has (models, export_rows, import_roster or the worker's run_import,
the test client), so the same probe measures the code before and after a change. Prints one JSON object.

    python bench/web_probe.py seed '{"bench-0": 0, "bench-100k": 100000}'
    python bench/web_probe.py queries
    python bench/web_probe.py export bench-1m
    python bench/web_probe.py import 100000
    python bench/web_probe.py signing
"""

import functools
import json
import os
import resource
import shutil
import sys
import time
from datetime import timedelta

sys.path.insert(0, os.getcwd())
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "undersigned.settings")
if sys.argv[1:2] == ["import"]:  # the stored upload, in a directory of its own (removed with the upload)
    import tempfile

    MEDIA = os.environ.setdefault("MEDIA_ROOT", tempfile.mkdtemp(prefix="web_probe_media_"))

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from petitions.models import Petition  # noqa: E402
from signatures.models import Signature  # noqa: E402
from tests.support.bulk import insert_signatures  # noqa: E402  (the suite's bulk insert: one INSERT … SELECT)
from verification.models import Affiliation  # noqa: E402

AFFILIATION = "bench-artists"
SIGNING = "bench-sign"
NEWER = "bench-newer"


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def seed(sizes: dict[str, int]) -> dict:
    """Petitions of the given sizes (a tenth of each claims the affiliation), one with newer rows, one to sign."""
    began = time.perf_counter()
    affiliation = Affiliation.objects.create(slug=AFFILIATION, name="Bench artists", email_domains="studio.example")
    now = timezone.now()
    for slug, size in [*sizes.items(), (NEWER, 100_000), (SIGNING, 0)]:
        petition = Petition.objects.create(title=f"Bench {slug}", slug=slug, body="We, the undersigned, " * 40)
        petition.publish()
        petition.affiliations.add(affiliation)
        newest = now - timedelta(hours=1) if slug == NEWER else now - timedelta(days=2)
        claimed = size // 10
        insert_signatures(petition, size - claimed, newest=newest - timedelta(days=1), tag=f"{slug}-a")
        insert_signatures(petition, claimed, newest=newest, tag=f"{slug}-c", affiliation_id=affiliation.pk)
        Petition.objects.filter(pk=petition.pk).update(signature_count=size)
        if claimed:
            petition.tallies.create(affiliation=affiliation, claimed=claimed)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return {"seconds": round(time.perf_counter() - began, 1)}


def queries(slugs: list[str]) -> dict:
    """Queries of a first view (rendered) and a repeated view, per page and API; the recent-signers plan."""
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    found = {}
    for slug in slugs:
        for kind, url in (("page", f"/petitions/{slug}/"), ("api", f"/api/petitions/{slug}/")):
            counts = []
            for _ in range(2):
                with CaptureQueriesContext(connection) as captured:
                    assert client.get(url).status_code == 200
                counts.append(len(captured.captured_queries))
            found[f"{kind} {slug}"] = counts
        found[f"plan {slug}"] = recent_plan(slug)
    return found


def recent_plan(slug: str) -> str:
    """The indexes the recent-signers query reads, as the code of this checkout runs it."""
    from contextlib import nullcontext

    from signatures import listing

    petition = Petition.objects.get(slug=slug)
    signers = listing.public_signers(petition)
    if hasattr(listing, "ordered_by_index"):
        query = signers.order_by("-confirmed_at", "-id").values_list("pk", flat=True)[:10]
        guard = listing.ordered_by_index()
    else:
        query, guard = signers[:10], nullcontext()
    with guard:
        plan = json.loads(query.explain(format="json"))[0]["Plan"]
    names, todo = [], [plan]
    while todo:
        node = todo.pop()
        todo += node.get("Plans", [])
        if node.get("Relation Name") == Signature._meta.db_table:
            names.append(node.get("Index Name") or node["Node Type"])
        elif node["Node Type"] == "Sort":
            names.append("Sort")
    return "+".join(names)


def export(slug: str) -> dict:
    from signatures.export import export_rows

    petition = Petition.objects.get(slug=slug)
    before = peak_mib()
    began = time.perf_counter()
    rows = size = 0
    for line in export_rows(petition, "all"):
        rows += 1
        size += len(line)
    return {
        "rows": rows - 1,
        "seconds": round(time.perf_counter() - began, 2),
        "peak_mib": round(peak_mib(), 1),
        "before_mib": round(before, 1),
        "mb": round(size / 1e6, 1),
    }


def import_roster(rows: int) -> dict:
    """A roster of `rows` members imported from a file on disk, as the worker imports an upload: the file is
    written first, a line at a time (this process holds none of it), then imported by the task's own function
    (verification.rosters.run_import on the stored upload) where the checkout has it, else by import_roster given
    the open file, or its bytes where it takes nothing else. Peak and before: this process's RSS (VmHWM, reset
    when the import starts; VmRSS just before)."""
    import inspect
    import tempfile

    from verification import rosters

    first = ["Jane", "Kim", "Ana", "Pedro", "María", "Sven", "Aiko", "Olu", "Chen", "Fatima", "Luca", "Zoë"]
    last = ["Doe", "Lee", "Núñez", "Alvarez", "Søren", "Tanaka", "Adeyemi", "Wei", "Haddad", "Rossi", "O'Brien"]
    with tempfile.NamedTemporaryFile("w", suffix=".csv", encoding="utf-8", delete=False) as out:
        out.write("full_name,email\n")
        for n in range(rows):
            out.write(f"{first[n % 12]} {last[n // 12 % 11]} Member{n},member{n}@roster.example\n")
    affiliation = Affiliation.objects.create(slug=f"bench-roster-{os.getpid()}", name="Bench roster")
    try:
        with open(out.name, "rb") as source:
            if hasattr(rosters, "run_import"):
                from django.core.files import File

                from verification.models import RosterImport

                path = "run_import"
                record = RosterImport(affiliation=affiliation, filename="bench.csv", state=RosterImport.State.QUEUED)
                record.upload.save(f"bench-{os.getpid()}.csv", File(source), save=False)
                record.save()
                run = functools.partial(rosters.run_import, record.pk)
            elif "BinaryIO" in str(inspect.signature(rosters.import_roster).parameters.get("source", "")):
                path, run = "file", functools.partial(rosters.import_roster, affiliation, source, "bench.csv")
            else:
                path = "bytes"
                run = functools.partial(rosters.import_roster, affiliation, source.read(), "bench.csv")
            before = rss_mib("VmRSS")
            reset_peak()
            began, cpu = time.perf_counter(), time.process_time()
            run()
            took, cpu = time.perf_counter() - began, time.process_time() - cpu
    finally:
        os.unlink(out.name)
        if os.path.basename(MEDIA).startswith("web_probe_media_"):
            shutil.rmtree(MEDIA, ignore_errors=True)
    return {
        "rows": rows,
        "seconds": round(took, 2),
        "cpu_seconds": round(cpu, 2),
        "peak_mib": round(rss_mib("VmHWM") or peak_mib(), 1),
        "before_mib": round(before, 1),
        "path": path,
    }


def rss_mib(field: str) -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return 0.0


def reset_peak() -> None:
    """This process's VmHWM set back to its RSS now (Linux), so the peak read next is the import's."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass


class RedisRoundTrips:
    """Counts the round trips to Redis (cache, rate limits and broker alike): each time redis-py sends
    (one command, or a whole pipeline), and the commands sent, by name."""

    def __init__(self):
        from redis.connection import AbstractConnection

        self.cls, self.original = AbstractConnection, AbstractConnection.send_packed_command
        self.trips, self.commands = 0, []

    def __enter__(self):
        original, counter = self.original, self

        def send_packed_command(connection, command, check_health=True):
            counter.trips += 1
            chunks = command if isinstance(command, list) else [command]
            data = b"".join(bytes(chunk) for chunk in chunks)
            counter.commands += [part.split(b"\r\n")[2].decode() for part in data.split(b"\r\n*")[:]]
            return original(connection, command, check_health)

        self.cls.send_packed_command = send_packed_command
        return self

    def __exit__(self, *exc):
        self.cls.send_packed_command = self.original


def signing(posts: int = 30) -> dict:
    """Per signing POST (the bench's form, a new address each, through the test client with its middleware):
    queries, Redis round trips (and the commands), and this process's CPU."""
    import statistics

    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    path = f"/petitions/{SIGNING}/sign/"
    queries, trips, cpu, commands = [], [], [], []
    for n in range(posts + 5):
        data = {"full_name": f"Probe Signer {n}", "email": f"probe.{os.getpid()}.{n}@signers.example",
                "affiliation": "", "public": "on"}  # fmt: skip
        began = time.process_time()
        with CaptureQueriesContext(connection) as captured, RedisRoundTrips() as redis_trips:
            assert client.post(path, data).status_code == 200
        if n >= 5:  # the first ones warm up (imports, templates, connections)
            cpu.append(time.process_time() - began)
            queries.append(len(captured.captured_queries))
            trips.append(redis_trips.trips)
            commands = redis_trips.commands
    return {
        "queries": statistics.median(queries),
        "redis_round_trips": statistics.median(trips),
        "redis_commands_last": commands,
        "cpu_ms": round(1000 * statistics.median(cpu), 2),
    }


def main() -> None:
    command, *args = sys.argv[1:]
    if command == "seed":
        result = seed(json.loads(args[0]))
    elif command == "queries":
        result = queries(args)
    elif command == "export":
        result = export(args[0])
    elif command == "signing":
        result = signing()
    elif command == "import":
        result = import_roster(int(args[0]))
    else:
        sys.exit(f"unknown command {command!r}")
    print("RESULT " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
    connection.close()
