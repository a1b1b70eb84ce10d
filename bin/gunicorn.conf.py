"""gunicorn's configuration in production (`bin/web`, `make serve`).

Every value comes from `undersigned.settings`, which reads and checks the environment: a bad `WEB_THREADS`,
`WEB_ACCESS_LOG` or `FORWARDED_ALLOW_IPS` stops the start naming the variable, as for any other setting.

Threaded workers (gthread): a client that sends its request slowly holds one thread of one process, not the
whole process as a sync worker would; WEB_CONCURRENCY x WEB_THREADS such clients are absorbed before a
normal request waits (docs/production.md has the measurement). gunicorn has no header timeout: on the
internet, a reverse proxy in front buffers slow clients and limits request bodies.
"""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "undersigned.settings")

from django.conf import settings  # noqa: E402 (after the path and settings module are set)

if settings.STATIC_MANIFEST and not (settings.STATIC_ROOT / "staticfiles.json").is_file():
    sys.exit(
        f"No static files manifest in STATIC_ROOT ({settings.STATIC_ROOT}): run "
        "`STATIC_MANIFEST=1 .venv/bin/python manage.py collectstatic --noinput` first (`make serve` does)."
    )

wsgi_app = "undersigned.wsgi:application"
chdir = str(ROOT)
proc_name = "undersigned-web"
bind = [f"[{settings.HOST}]:{settings.PORT}" if ":" in settings.HOST else f"{settings.HOST}:{settings.PORT}"]
workers = settings.WEB_CONCURRENCY
worker_class = "gthread"
threads = settings.WEB_THREADS
# A process takes no more connections than it has threads, so one whose threads are all held by slow clients
# leaves new connections to the others instead of queueing them behind the slow ones. The price is no
# keep-alive between requests (the reverse proxy keeps the client's connection open anyway).
worker_connections = threads
keepalive = 0
# X-Forwarded-Proto is believed only behind a TLS proxy, and only from the proxies listed; otherwise from no one
# (gunicorn's own default would believe any process on this machine). Django reads the same header under the
# same switch (SECURE_PROXY_SSL_HEADER).
if settings.BEHIND_TLS_PROXY:
    forwarded_allow_ips = ",".join(settings.FORWARDED_ALLOW_IPS)
else:
    forwarded_allow_ips = ""
    secure_scheme_headers = {}
accesslog = "-" if settings.WEB_ACCESS_LOG else None
# No control socket: its default path is shared by every gunicorn of this user on the machine.
control_socket_disable = True
