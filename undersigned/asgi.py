import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "undersigned.settings")
application = get_asgi_application()

from django.conf import settings  # noqa: E402 (after the application set Django up)

settings.SECRET_KEY  # noqa: B018 — refuse to start, rather than fail on the first request, without one
