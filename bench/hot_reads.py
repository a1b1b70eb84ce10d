"""What one kept petition page view and one API call cost in-process, through Django's WSGI handler.

No server and no network: each request is a WSGI environ handed to `undersigned.wsgi.application` (as the web server
does), so the figures are the application's own CPU per request. Printed, for the page (an anonymous reader
without cookies, and one returning with a CSRF cookie) and the API:

- µs of CPU per request (process time over a few thousand requests, after a warm-up);
- each middleware's share, by rebuilding the handler with the chain cut after it (the difference between
  consecutive cuts; approximate, since a cut chain skips what the later middlewares would do);
- with --profile, cProfile's top functions by cumulative and own time.

It seeds a throw-away petition in the configured database (DATABASE_URL; an SQLite file is fine) and needs
REDIS_URL for the cache, as production has:

    DATABASE_URL=sqlite:////tmp/hot.sqlite3 REDIS_URL=redis://127.0.0.1:6379/7 SECRET_KEY=x \\
        .venv/bin/python bench/hot_reads.py [--requests 3000] [--profile] [--chain]
"""

import argparse
import cProfile
import io
import os
import pstats
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "undersigned.settings")
os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.handlers.wsgi import WSGIHandler  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.test.utils import override_settings  # noqa: E402

SLUG = "hot-reads-bench"


def environ(path: str, cookie: str = "", etag: str = "") -> dict:
    env = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "SCRIPT_NAME": "",
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "127.0.0.1:8000",
        "HTTP_USER_AGENT": "hot-reads/1",
        "HTTP_ACCEPT": "*/*",
        "HTTP_ACCEPT_LANGUAGE": "en-GB,en;q=0.9",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
        "wsgi.version": (1, 0),
    }
    if cookie:
        env["HTTP_COOKIE"] = cookie
    if etag:
        env["HTTP_IF_NONE_MATCH"] = etag
    return env


def call(app, env: dict) -> tuple[str, dict, bytes]:
    seen = {}

    def start_response(status, headers, exc_info=None):
        seen["status"], seen["headers"] = status, headers

    body = b"".join(app(dict(env, **{"wsgi.input": io.BytesIO(b"")}), start_response))
    return seen["status"], dict(seen["headers"]), body


def seed() -> None:
    from petitions.models import Petition

    if not Petition.objects.filter(slug=SLUG).exists():
        Petition.objects.create(
            title="Hot reads", slug=SLUG, kind="letter", summary="A page read many times.", body="The text. " * 80
        ).publish()


def per_request_us(app, env: dict, n: int) -> float:
    for _ in range(50):
        call(app, env)
    began = time.process_time()
    for _ in range(n):
        call(app, env)
    return 1e6 * (time.process_time() - began) / n


def cases(app) -> dict[str, dict]:
    page, api = f"/petitions/{SLUG}/", f"/api/petitions/{SLUG}/"
    status, headers, _ = call(app, environ(page))
    assert status.startswith("200"), status
    cookie = headers.get("Set-Cookie", "").split(";", 1)[0]
    return {
        "page, no cookie": environ(page),
        "page, CSRF cookie": environ(page, cookie=cookie),
        "page, 304": environ(page, cookie=cookie, etag=headers.get("ETag", "")),
        "api": environ(api),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--profile", action="store_true", help="cProfile's top functions per case")
    parser.add_argument("--chain", action="store_true", help="each middleware's share")
    args = parser.parse_args()
    if not settings.CACHES["default"]["BACKEND"].endswith("RedisCache"):
        sys.exit("Set REDIS_URL: the kept pages live in the cache.")
    call_command("migrate", verbosity=0)
    seed()
    from django.core.cache import cache

    cache.clear()
    app = WSGIHandler()
    for name, env in cases(app).items():
        status, headers, body = call(app, env)
        print(f"{name}: {per_request_us(app, env, args.requests):,.0f} µs CPU per request ({status}, {len(body)} B)")
        if args.profile:
            profiler = cProfile.Profile()
            profiler.enable()
            for _ in range(args.requests):
                call(app, env)
            profiler.disable()
            out = io.StringIO()
            stats = pstats.Stats(profiler, stream=out)
            stats.sort_stats("cumulative").print_stats(35)
            stats.sort_stats("tottime").print_stats(25)
            print(out.getvalue())
    if args.chain:
        chain = list(settings.MIDDLEWARE)
        for name, env in cases(app).items():
            print(f"\n{name}, cumulative cost as the chain grows:")
            previous = None
            for cut in range(len(chain) + 1):
                if "front.kept_reads.KeptReadsMiddleware" in chain[:cut] and cut < len(chain):
                    continue  # it must have the middlewares whose hooks it calls after it: measured whole
                with override_settings(MIDDLEWARE=chain[:cut]):
                    handler = WSGIHandler()
                    took = per_request_us(handler, env, args.requests // 3)
                step = "(view and handler alone)" if cut == 0 else f"+ {chain[cut - 1]}"
                delta = "" if previous is None else f"  ({took - previous:+,.0f})"
                print(f"  {took:7,.0f} µs {step}{delta}")
                previous = took


if __name__ == "__main__":
    main()
