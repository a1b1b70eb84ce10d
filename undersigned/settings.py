"""Settings, read from the environment (see README's configuration table).

With nothing configured the product runs on the embedded default: an SQLite file, tasks run
in-process, a local-memory cache and emails printed on the console.
"""

import ipaddress
import os
import re
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

# Each helper refuses a value it cannot read, naming the variable: a typo must stop the start, not
# quietly fall back to a default (DEBUG=ture would otherwise mean "off").
_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off", "")


def env(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    folded = value.strip().lower()
    if folded not in _TRUE + _FALSE:
        raise ImproperlyConfigured(f"{name} must be one of 1/true/yes/on or 0/false/no/off, not {value!r}.")
    return folded in _TRUE


def env_int(name: str, default: int, minimum: int = 0) -> int:
    value = os.environ.get(name)
    if value is None:
        return default
    try:
        number = int(value.strip())
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}.")
    if number < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, not {number}.")
    return number


def env_float(name: str, default: float, minimum: float = 0, maximum: float | None = None) -> float:
    value = os.environ.get(name)
    if value is None:
        return default
    try:
        number = float(value.strip())
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a number, not {value!r}.")
    if not (number >= minimum and (maximum is None or number <= maximum)):
        bounds = f"between {minimum:g} and {maximum:g}" if maximum is not None else f"at least {minimum:g}"
        raise ImproperlyConfigured(f"{name} must be {bounds}, not {value!r}.")
    return number


_RATE = re.compile(r"^\s*\d+\s*/\s*\d*\s*[smhd]\s*$")


def env_rate(name: str, default: str) -> str:
    """A django-ratelimit rate such as 30/h or 100/5m."""
    value = env(name, default)
    if not _RATE.match(value) or int(value.split("/")[0]) < 1:
        raise ImproperlyConfigured(f"{name} must be a rate such as 30/h or 100/5m (count/period), not {value!r}.")
    return value.replace(" ", "")


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


def env_networks(name: str, default: str) -> list[str]:
    """Comma-separated IP addresses or networks (CIDR), e.g. 127.0.0.1,10.0.0.0/24; `*` means any."""
    networks = env_list(name, default)
    for network in networks:
        try:
            if network != "*":
                ipaddress.ip_network(network)
        except ValueError:
            raise ImproperlyConfigured(f"{name} must list IP addresses or networks (10.0.0.0/24), not {network!r}.")
    return networks


def env_database(name: str, default: str) -> dict:
    value = env(name, default)
    try:
        config = dj_database_url.parse(value, conn_max_age=60, conn_health_checks=True)
    except Exception as error:  # dj-database-url raises several kinds for a malformed URL
        raise ImproperlyConfigured(f"{name} is not a database URL ({error}): {value!r}.")
    if not config.get("ENGINE") or not config.get("NAME"):
        raise ImproperlyConfigured(f"{name} must name a database engine and a database, not {value!r}.")
    if config["ENGINE"] == "django.db.backends.postgresql":
        # Django's, with a health check that sends nothing to a connection plainly alive (undersigned/postgresql).
        config["ENGINE"] = "undersigned.postgresql"
    if config["ENGINE"] == "undersigned.postgresql" and env_bool("DATABASE_PREPARED_STATEMENTS", True):
        # Values sent apart from the SQL, and a statement run 5 times by a connection prepared on the server: its
        # plan is then made once, not at every run (the signing statement: 0.54 → 0.25 ms of PostgreSQL's CPU).
        # Off behind a pooler that cannot keep prepared statements (PgBouncer in transaction mode before 1.21).
        # Options given in the URL (`?prepare_threshold=…`) win.
        options = config.setdefault("OPTIONS", {})
        options.setdefault("server_side_binding", True)
        options.setdefault("prepare_threshold", 5)
    return config


DEBUG = env_bool("DEBUG", False)

# Without DEBUG there is no fallback: Django refuses an empty key wherever one is needed (sessions,
# signed links), and the WSGI/ASGI entry points check it at start-up; tooling such as
# `makemigrations` still runs without one.
SECRET_KEY = env("SECRET_KEY") or ("insecure-development-key-only-used-with-DEBUG" if DEBUG else "")

SITE_URL = env("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = [SITE_URL]
SECURE_SITE = SITE_URL.startswith("https://")
SESSION_COOKIE_SECURE = SECURE_SITE
CSRF_COOKIE_SECURE = SECURE_SITE
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
BEHIND_TLS_PROXY = env_bool("BEHIND_TLS_PROXY")
if BEHIND_TLS_PROXY:
    # Only behind a proxy that sets this header itself and strips it from clients.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# The reverse proxies whose X-Forwarded-Proto is believed (undersigned/serving.py; only with BEHIND_TLS_PROXY).
FORWARDED_ALLOW_IPS = env_networks("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    # Domain apps, each importing only those above it in this list.
    "petitions",
    "signatures",
    "verification",
    "teams",
    "abuse",
    # Surfaces (nothing imports them) and the demo.
    "front",
    "moderation",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Content-Security-Policy on every response (CONTENT_SECURITY_POLICY below): django-csp's, built once per process.
    "undersigned.middleware.ContentSecurityPolicy",
    # Issue 8 (i8b): CORS for the public JSON API only (GET/HEAD/OPTIONS of /api/, no credentials).
    "front.middleware.PublicApiCorsMiddleware",
    # Issue 9: a fresh kept petition page or JSON for a reader without a session, answered here without the rest
    # of the chain (front/kept_reads.py lists what it stands in for, and refuses a middleware it doesn't know).
    "front.kept_reads.KeptReadsMiddleware",
    # Static files straight from the application server, before sessions and the rest (see STATIC_ROOT).
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The page's language: the switcher's cookie, else Accept-Language, else English (after sessions, before common).
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Before anything reads a form (the CSRF check does): a form in another charset than UTF-8 is a 400.
    "undersigned.middleware.Utf8FormsOnly",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
]

ROOT_URLCONF = "undersigned.urls"
WSGI_APPLICATION = "undersigned.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {"default": env_database("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env("REDIS_URL")
if REDIS_URL:
    # Django's Redis backend, keeping its client between calls (undersigned/cache.py says why).
    CACHES = {"default": {"BACKEND": "undersigned.cache.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Celery: with no broker configured, tasks run in-process (eagerly) after the transaction commits.
CELERY_BROKER_URL = env("CELERY_BROKER_URL")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Periodic tasks, for `celery beat`.
CELERY_BEAT_SCHEDULE = {
    "expire-roster-challenges": {"task": "verification.tasks.expire_roster_challenges", "schedule": 15 * 60},
    "cancel-unconfirmed-imports": {"task": "verification.tasks.cancel_unconfirmed_imports", "schedule": 24 * 3600},
}
# Where `celery beat` keeps its schedule between restarts (a directory it can write; outside the checkout).
state_home = Path(env("XDG_STATE_HOME") or os.path.expanduser("~/.local/state"))
STATE_DIR = Path(env("STATE_DIR") or state_home / "undersigned")
CELERY_BEAT_SCHEDULE_FILENAME = str(STATE_DIR / "celerybeat-schedule")
# Tasks one `celery worker` process runs at once (`bin/worker`, `make serve`).
CELERY_WORKER_CONCURRENCY = env_int("WORKER_CONCURRENCY", 2, minimum=1)

EMAIL_BACKENDS = {
    "smtp": "django.core.mail.backends.smtp.EmailBackend",
    "smtps": "django.core.mail.backends.smtp.EmailBackend",
    "submission": "django.core.mail.backends.smtp.EmailBackend",
    "consolemail": "django.core.mail.backends.console.EmailBackend",
    "console": "django.core.mail.backends.console.EmailBackend",
    "memorymail": "django.core.mail.backends.locmem.EmailBackend",
    "dummymail": "django.core.mail.backends.dummy.EmailBackend",
}
try:
    email_url = urlsplit(env("EMAIL_URL", "consolemail://"))
    email_port = email_url.port
except ValueError as error:
    raise ImproperlyConfigured(f"EMAIL_URL is not a URL ({error}).")
if email_url.scheme not in EMAIL_BACKENDS:
    raise ImproperlyConfigured(f"EMAIL_URL scheme must be one of {', '.join(EMAIL_BACKENDS)}.")
if EMAIL_BACKENDS[email_url.scheme].endswith("smtp.EmailBackend") and not email_url.hostname:
    raise ImproperlyConfigured("EMAIL_URL must name the SMTP host, e.g. smtp://user:password@host:587.")
email_options = parse_qs(email_url.query)
EMAIL_BACKEND = EMAIL_BACKENDS[email_url.scheme]
EMAIL_HOST = email_url.hostname or "localhost"
EMAIL_PORT = email_port or {"smtps": 465, "submission": 587}.get(email_url.scheme, 25)
EMAIL_HOST_USER = unquote(email_url.username or "")
EMAIL_HOST_PASSWORD = unquote(email_url.password or "")
EMAIL_USE_SSL = email_url.scheme == "smtps" or "ssl" in email_options
EMAIL_USE_TLS = email_url.scheme == "submission" or "tls" in email_options
EMAIL_TIMEOUT = 20
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "Undersigned <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "/admin/"
ACCOUNT_ADAPTER = "moderation.adapter.ModeratorAccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "optional"
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]

# Signing: how long the emailed links stay valid, and how often one address or IP may sign.
SIGNATURE_CONFIRM_MAX_AGE = env_int("SIGNATURE_CONFIRM_MAX_AGE", 7 * 24 * 3600, minimum=60)
SIGNATURE_WITHDRAW_MAX_AGE = env_int("SIGNATURE_WITHDRAW_MAX_AGE", 365 * 24 * 3600, minimum=60)
SIGN_RATE_PER_IP = env_rate("SIGN_RATE_PER_IP", "30/h")
# Counted per sender IP + address, so someone else using your address from their IP cannot lock you out.
SIGN_RATE_PER_EMAIL = env_rate("SIGN_RATE_PER_EMAIL", "5/h")
# Behind a reverse proxy, the header holding the client's address (e.g. HTTP_X_REAL_IP).
RATELIMIT_IP_META_KEY = env("RATELIMIT_IP_META_KEY") or None

# Roster uploads in the admin (also limit the request body in the web server in front).
ROSTER_UPLOAD_MAX_MB = env_float("ROSTER_UPLOAD_MAX_MB", 20, minimum=0.001)

# Verification: a fuzzy name score (0-100) at or above this makes a roster entry a candidate for a claim.
NAME_MATCH_THRESHOLD = env_float("NAME_MATCH_THRESHOLD", 80, minimum=0, maximum=100)
# Roster challenges ("was this you?" sent to a candidate's roster address): how long the link lives, how
# many candidates one claim may challenge, and how many challenges one roster entry may receive a day.
CHALLENGE_MAX_AGE = env_int("CHALLENGE_MAX_AGE", 7 * 24 * 3600, minimum=60)
CHALLENGE_MAX_CANDIDATES = env_int("CHALLENGE_MAX_CANDIDATES", 3, minimum=1)
CHALLENGE_DAILY_CAP_PER_ENTRY = env_int("CHALLENGE_DAILY_CAP_PER_ENTRY", 3, minimum=1)

LANGUAGE_CODE = "en"
# i8a (issue 8, languages): the languages the public pages and emails are translated into (locale/; `make messages`).
LANGUAGES = [("en", "English"), ("fr", "Français"), ("es", "Español")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# The switcher's choice: a plain preference cookie, sent over HTTPS only when the site is on HTTPS.
LANGUAGE_COOKIE_SECURE = SECURE_SITE
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# Static files are served by the application server itself (WhiteNoise), no separate web server needed.
# With STATIC_MANIFEST on (the production server turns it on, after `collectstatic` into STATIC_ROOT) pages
# link hashed names, served compressed and cached for a year; off (development, tests) files come straight
# from the apps' static folders and no `collectstatic` is needed.
STATIC_URL = "static/"
STATIC_ROOT = Path(env("STATIC_ROOT") or BASE_DIR / "staticfiles")
STATIC_MANIFEST = env_bool("STATIC_MANIFEST", False)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if STATIC_MANIFEST
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = WHITENOISE_AUTOREFRESH = not STATIC_MANIFEST

# The production web server (bin/web: granian, configured by bin/web_server.py): where it listens, how many
# processes, and how many threads each runs the application in (connections themselves hold no thread).
HOST = env("HOST", "127.0.0.1")
PORT = env_int("PORT", 8000, minimum=1)
WEB_CONCURRENCY = env_int("WEB_CONCURRENCY", 2, minimum=1)
WEB_THREADS = env_int("WEB_THREADS", 8, minimum=1)
# The web server's access log on standard output (one line per request). Behind the reverse proxy, which logs
# every request already, turn it off: it costs CPU on every request (docs/production.md).
WEB_ACCESS_LOG = env_bool("WEB_ACCESS_LOG", True)

# Issue 8 (i8b): the letter's PDF (/petitions/<slug>/letter.pdf). One copy per letter is cached and remade
# when the text's version or a count changes, or after LETTER_PDF_CACHE_SECONDS (badge-only changes); while
# one request lays it out (at most LETTER_PDF_LOCK_SECONDS) others get the previous copy.
LETTER_PDF_CACHE_SECONDS = env_int("LETTER_PDF_CACHE_SECONDS", 600, minimum=1)
LETTER_PDF_LOCK_SECONDS = env_int("LETTER_PDF_LOCK_SECONDS", 120, minimum=1)
# Laying out a PDF costs about 5 ms and 80 MiB per 1,000 names (bench/letter_pdf.py): the PDF lists at most
# this many signatories and says where the rest are (the print page lists everyone, streamed).
LETTER_PDF_MAX_SIGNATORIES = env_int("LETTER_PDF_MAX_SIGNATORIES", 2000, minimum=1)

# Teams and invitations (issue 7, workstream i7a): how long an emailed invitation link works, and whether
# anyone may create an account without one (off: accounts come by invitation only).
INVITATION_MAX_AGE = env_int("INVITATION_MAX_AGE", 7 * 24 * 3600, minimum=60)
ACCOUNT_OPEN_SIGNUP = env_bool("ACCOUNT_OPEN_SIGNUP", False)
# allauth's emails (password reset...) in the product's name, not the request's host.
ACCOUNT_EMAIL_SUBJECT_PREFIX = "Undersigned: "
# i10b — privacy and trust: data lifetimes (signatures.lifetimes, run by celery beat and `apply_data_lifetimes`),
# allauth behind proxies, and the Content-Security-Policy. (Client IPs are kept only as keyed range hashes by
# the abuse defences, with their own retention: ABUSE_RETENTION_DAYS.)
UNCONFIRMED_RETENTION_DAYS = env_int("UNCONFIRMED_RETENTION_DAYS", 30, minimum=1)
WITHDRAWN_RETENTION_DAYS = env_int("WITHDRAWN_RETENTION_DAYS", 30, minimum=0)
REJECTED_RETENTION_DAYS = env_int("REJECTED_RETENTION_DAYS", 90, minimum=0)
# Erase links (in every signer's email) live as long as withdraw links.
SIGNATURE_ERASE_MAX_AGE = env_int("SIGNATURE_ERASE_MAX_AGE", 365 * 24 * 3600, minimum=60)
# allauth behind reverse proxies: how many proxies in front append to X-Forwarded-For (0: trust none, use
# REMOTE_ADDR), or the one header a trusted proxy sets to the client's address (e.g. X-Real-IP). Failed logins
# are limited per IP (ACCOUNT_LOGIN_FAILED_RATE_PER_IP) and per IP + account (..._PER_ACCOUNT_AND_IP), never per
# account alone, so nobody can keep a moderator out by failing logins with their address.
ALLAUTH_TRUSTED_PROXY_COUNT = env_int("ALLAUTH_TRUSTED_PROXY_COUNT", 0)
ALLAUTH_TRUSTED_CLIENT_IP_HEADER = env("ALLAUTH_TRUSTED_CLIENT_IP_HEADER") or None
ACCOUNT_RATE_LIMITS = {
    "login_failed": f"{env_rate('LOGIN_FAILED_RATE_PER_IP', '10/m')}/ip,"
    f"{env_rate('LOGIN_FAILED_RATE_PER_ACCOUNT_AND_IP', '5/5m')}/key"
}
# Content-Security-Policy (django-csp 4): only our own scripts, styles and images (no inline ones anywhere,
# the admin included), no plugins, forms post only to us, and no page may be framed (X_FRAME_OPTIONS agrees),
# except a view decorated with front.framing.frameable (the embed counter, SPEC's only frameable path).
# img-src allows data: for the TOTP QR code allauth draws as a data URI.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
CELERY_BEAT_SCHEDULE |= {
    "purge-unconfirmed": {"task": "signatures.tasks.purge_unconfirmed", "schedule": 3600},
    "anonymise-withdrawn-and-rejected": {"task": "signatures.tasks.anonymise_withdrawn_and_rejected", "schedule": 3600},
    "anonymise-closed-letters": {"task": "signatures.tasks.anonymise_closed_letters", "schedule": 3600},
}
# i8a (issue 8): the "didn't get the email?" page (/signatures/resend/): how often one IP, and one address, may ask.
RESEND_RATE_PER_IP = env_rate("RESEND_RATE_PER_IP", "10/h")
RESEND_RATE_PER_EMAIL = env_rate("RESEND_RATE_PER_EMAIL", "3/h")

LOG_LEVEL = env("LOG_LEVEL", "INFO").upper()
if LOG_LEVEL not in ("CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG"):
    raise ImproperlyConfigured(f"LOG_LEVEL must be one of CRITICAL, ERROR, WARNING, INFO, DEBUG, not {LOG_LEVEL!r}.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    # WeasyPrint narrates every step of every PDF at INFO.
    "loggers": {"weasyprint": {"level": "WARNING"}},
}

# --- i9a: nothing lost in an outage (docs/production.md, "Outages") ---
# The sweepers (celery beat, every SWEEP_EVERY seconds) send every confirmation email still owed, and queue
# again every claim check, challenge email and re-check chunk left behind, once it has waited SWEEP_AFTER
# seconds for the task queued for it (a broker, worker or mail outage of any length loses nothing).
SWEEP_EVERY = env_int("SWEEP_EVERY", 60, minimum=1)
SWEEP_AFTER = env_int("SWEEP_AFTER", 300, minimum=0)
# Confirmation emails go out in batches (issue 9): a signing writes its outbox row, and each web process queues
# at most one `send_owed_confirmations` per this many seconds, due at its end; that run sends every email owed
# over one SMTP connection. A signer's email leaves about this much later than one task per email would send it.
CONFIRMATION_BATCH_WINDOW = env_float("CONFIRMATION_BATCH_WINDOW", 1.0, minimum=0, maximum=60)
# Claims are checked in chunks as signers confirm (issue 9): each web process queues at most one
# `check_owed_claims` per this many seconds, due at its end; that run checks every claim owed a first check.
CLAIM_CHECK_WINDOW = env_float("CLAIM_CHECK_WINDOW", 1.0, minimum=0, maximum=60)
CELERY_BEAT_SCHEDULE["send-unsent-confirmations"] = {
    "task": "signatures.tasks.send_unsent_confirmations",
    "schedule": SWEEP_EVERY,
}
CELERY_BEAT_SCHEDULE["requeue-stalled-checks"] = {
    "task": "verification.tasks.requeue_stalled_checks",
    "schedule": SWEEP_EVERY,
}
# A request never waits longer than this for an unreachable broker (connect and each socket operation),
# and a failed publish is not retried: the row is stored and the sweepers catch up.
BROKER_TIMEOUT = env_float("BROKER_TIMEOUT", 1.0, minimum=0.05)
CELERY_TASK_PUBLISH_RETRY = False
CELERY_BROKER_CONNECTION_TIMEOUT = BROKER_TIMEOUT
# The mail tasks' retries (undersigned.celery.mail_task_options): exponential backoff up to this many seconds
# between attempts, this many times; then the sweepers take over.
MAIL_RETRIES = env_int("MAIL_RETRIES", 8)
MAIL_RETRY_BACKOFF_MAX = env_int("MAIL_RETRY_BACKOFF_MAX", 600, minimum=1)
# Redis transport: a task taken by a worker that dies without acknowledging it is delivered again after
# BROKER_VISIBILITY_TIMEOUT seconds. It must exceed the longest task (a roster import of the largest
# allowed file, a re-check chunk) and the longest retry countdown a worker holds (MAIL_RETRY_BACKOFF_MAX),
# or a task still running or waiting would be delivered twice (docs/production.md, "Outages").
BROKER_VISIBILITY_TIMEOUT = env_int("BROKER_VISIBILITY_TIMEOUT", 900, minimum=1)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": BROKER_VISIBILITY_TIMEOUT,
    "socket_connect_timeout": BROKER_TIMEOUT,
    "socket_timeout": max(BROKER_TIMEOUT, 5.0),
    "max_retries": 0,  # a failed connection is not retried (kombu waits 2 s first); the worker keeps its own
}
if BROKER_VISIBILITY_TIMEOUT <= MAIL_RETRY_BACKOFF_MAX:
    raise ImproperlyConfigured(
        f"BROKER_VISIBILITY_TIMEOUT ({BROKER_VISIBILITY_TIMEOUT}) must exceed MAIL_RETRY_BACKOFF_MAX "
        f"({MAIL_RETRY_BACKOFF_MAX}): a retry waiting longer than it would be delivered twice."
    )
# Roster uploads wait here (default storage) for the worker that imports them, and are deleted once imported.
# Never served. With workers on other machines, a directory they all mount (or another storage backend).
MEDIA_ROOT = Path(env("MEDIA_ROOT") or STATE_DIR / "uploads")

# Bot resistance (issue 10, workstream i10a; abuse/, docs/decisions.md "Bot resistance"). Over any of these
# limits a submission is parked (stored for moderators, never emailed, never counted) behind the same
# "check your email" page; only SIGN_RATE_PER_IP answers 429. Rates are count/period, as SIGN_RATE_PER_IP.
SIGN_RATE_PER_ADDRESS = env_rate("SIGN_RATE_PER_ADDRESS", "20/d")  # one canonical address, from any IP
SIGN_RATE_PER_DOMAIN = env_rate("SIGN_RATE_PER_DOMAIN", "30/h")  # one email domain on one petition
SIGN_RATE_PER_THROTTLED_DOMAIN = env_rate("SIGN_RATE_PER_THROTTLED_DOMAIN", "3/h")  # a domain marked throttled
SIGN_RATE_PER_RANGE = env_rate("SIGN_RATE_PER_RANGE", "60/h")  # one /24 (IPv4) or /64 (IPv6), any petition
SIGN_RATE_PER_PETITION = env_rate("SIGN_RATE_PER_PETITION", "600/m")  # a whole petition's burst
# The proof-of-work challenge switches on for a petition whose signing rate crosses this, for
# SIGN_CHALLENGE_HOLD seconds; SIGN_CHALLENGE_ALWAYS turns it on everywhere (or per petition in the admin).
SIGN_CHALLENGE_THRESHOLD = env_rate("SIGN_CHALLENGE_THRESHOLD", "100/10m")
SIGN_CHALLENGE_HOLD = env_int("SIGN_CHALLENGE_HOLD", 3600, minimum=1)
SIGN_CHALLENGE_ALWAYS = env_bool("SIGN_CHALLENGE_ALWAYS", False)
SIGN_CHALLENGE_DIFFICULTY = env_int("SIGN_CHALLENGE_DIFFICULTY", 16, minimum=1)  # leading zero bits of SHA-256
if SIGN_CHALLENGE_DIFFICULTY > 28:  # 2^28 hashes is minutes in a browser: nobody could sign
    raise ImproperlyConfigured(f"SIGN_CHALLENGE_DIFFICULTY must be between 1 and 28, not {SIGN_CHALLENGE_DIFFICULTY}.")
SIGN_CHALLENGE_MAX_AGE = env_int("SIGN_CHALLENGE_MAX_AGE", 900, minimum=10)
# Trending detection (`flag_trending`, every ABUSE_TRENDING_INTERVAL seconds under celery beat): a petition's
# signatures from one IP range, one email domain or claiming one affiliation within the window, at or over
# the threshold, raise a flag moderators see.
ABUSE_TRENDING_INTERVAL = env_int("ABUSE_TRENDING_INTERVAL", 300, minimum=10)
ABUSE_TRENDING_WINDOW = env_int("ABUSE_TRENDING_WINDOW", 3600, minimum=60)
ABUSE_TRENDING_THRESHOLD = env_int("ABUSE_TRENDING_THRESHOLD", 25, minimum=2)
# How long the keyed hashes of signers' IP ranges and the parked submissions are kept (`purge_abuse_records`).
ABUSE_RETENTION_DAYS = env_int("ABUSE_RETENTION_DAYS", 30, minimum=1)
CELERY_BEAT_SCHEDULE["flag_trending"] = {"task": "abuse.tasks.flag_trending", "schedule": ABUSE_TRENDING_INTERVAL}
CELERY_BEAT_SCHEDULE["purge_abuse_records"] = {"task": "abuse.tasks.purge_abuse_records", "schedule": 24 * 3600}

# Issue 9, hot paths (i9b). Public counts may lag by this many seconds: counter changes parked under
# contention are folded in by celery beat this often, and the petition page and API are cached this long.
COUNTS_FOLD_SECONDS = env_int("COUNTS_FOLD_SECONDS", 2, minimum=1)
PUBLIC_CACHE_SECONDS = env_int("PUBLIC_CACHE_SECONDS", 2, minimum=0)
# Celery's Django fixup closes all connections around every task unless this is set; see undersigned/celery.py.
CELERY_DB_REUSE_MAX = env_int("CELERY_DB_REUSE_MAX", 1_000_000, minimum=0)
CELERY_BEAT_SCHEDULE["fold-counters"] = {"task": "signatures.tasks.fold_counters", "schedule": COUNTS_FOLD_SECONDS}
