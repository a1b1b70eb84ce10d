"""The production web server (`bin/web`, `make serve`): granian serving `undersigned.serving:application`.

Every value comes from `undersigned.settings`, which reads and checks the environment: a bad `WEB_THREADS`,
`WEB_ACCESS_LOG` or `FORWARDED_ALLOW_IPS` stops the start naming the variable, as for any other setting.

granian's connections are handled by an event loop in Rust, outside Python: a client that sends its request
slowly, or keeps its connection open between requests, holds no thread; WEB_THREADS threads in each of the
WEB_CONCURRENCY processes run the application, and a request waits for one only while the application works on
another. It costs about 0.04 ms of CPU a request on this machine, where gunicorn (gthread, one connection per
request) cost 0.41 (docs/production.md). Request bodies are streamed to the application as they arrive, so a
slow upload holds a thread: on the internet, a reverse proxy in front buffers them and limits their size.
"""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "undersigned.settings")


def main() -> None:
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured
    from granian import Granian
    from granian.constants import Interfaces
    from granian.http import HTTP1Settings

    try:
        settings.WEB_CONCURRENCY  # noqa: B018 (reading one setting checks them all)
    except ImproperlyConfigured as error:
        sys.exit(f"Cannot start the web server: {error}")
    if settings.STATIC_MANIFEST and not (settings.STATIC_ROOT / "staticfiles.json").is_file():
        sys.exit(
            f"No static files manifest in STATIC_ROOT ({settings.STATIC_ROOT}): run "
            "`STATIC_MANIFEST=1 .venv/bin/python manage.py collectstatic --noinput` first (`make serve` does)."
        )
    Granian(
        "undersigned.serving:application",
        interface=Interfaces.WSGI,
        websockets=False,
        address=settings.HOST,
        port=settings.PORT,
        workers=settings.WEB_CONCURRENCY,
        blocking_threads=settings.WEB_THREADS,
        # A client has 10 s to send its request's headers (granian's default is 30).
        http1_settings=HTTP1Settings(header_read_timeout=10_000),
        log_access=settings.WEB_ACCESS_LOG,
        log_level=settings.LOG_LEVEL.lower(),
        respawn_failed_workers=True,
        # On TERM or INT, requests in progress have this long to finish.
        workers_kill_timeout=30,
        working_dir=ROOT,
    ).serve()


if __name__ == "__main__":
    main()
