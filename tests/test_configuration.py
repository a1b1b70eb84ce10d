"""Settings come from the environment: each case starts a fresh Python with only the variables given."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHOW = "from django.conf import settings as s; import json; print(json.dumps({k: str(getattr(s, k)) for k in %r}))"


def python(code: str, **environment: str) -> subprocess.CompletedProcess:
    env = {"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "undersigned.settings", **environment}
    return subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True)


def settings_with(names: list[str], **environment: str) -> dict:
    result = python("import django; django.setup(); " + SHOW % names, **environment)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_the_site_refuses_to_start_without_a_secret_key_outside_debug():
    result = python("import undersigned.wsgi")
    assert result.returncode != 0
    assert "The SECRET_KEY setting must not be empty" in result.stderr


def test_with_nothing_configured_but_debug_the_embedded_default_is_used():
    found = settings_with(["CELERY_TASK_ALWAYS_EAGER", "EMAIL_BACKEND", "DATABASES"], DEBUG="1")
    assert found["CELERY_TASK_ALWAYS_EAGER"] == "True"
    assert found["EMAIL_BACKEND"] == "django.core.mail.backends.console.EmailBackend"
    assert "sqlite3" in found["DATABASES"]


def test_urls_configure_the_database_broker_cache_and_mail():
    found = settings_with(
        ["DATABASES", "CELERY_TASK_ALWAYS_EAGER", "CACHES", "EMAIL_HOST", "EMAIL_PORT", "EMAIL_HOST_USER",
         "EMAIL_HOST_PASSWORD", "EMAIL_USE_TLS"],
        SECRET_KEY="k" * 50,
        DATABASE_URL="postgres://app@db.internal:5433/petitions",
        CELERY_BROKER_URL="redis://cache.internal:6379/0",
        REDIS_URL="redis://cache.internal:6379/1",
        EMAIL_URL="submission://mailer:p%40ss@smtp.example.org",
    )  # fmt: skip
    assert "'NAME': 'petitions'" in found["DATABASES"] and "'PORT': 5433" in found["DATABASES"]
    assert found["CELERY_TASK_ALWAYS_EAGER"] == "False"
    assert "RedisCache" in found["CACHES"]
    assert (found["EMAIL_HOST"], found["EMAIL_PORT"], found["EMAIL_USE_TLS"]) == ("smtp.example.org", "587", "True")
    assert (found["EMAIL_HOST_USER"], found["EMAIL_HOST_PASSWORD"]) == ("mailer", "p@ss")


def test_an_unknown_email_url_scheme_is_a_clear_error():
    result = python("import django; django.setup()", DEBUG="1", EMAIL_URL="carrier-pigeon://loft")
    assert result.returncode != 0
    assert "EMAIL_URL scheme must be one of" in result.stderr


def test_migrations_can_be_checked_without_any_secret():
    result = subprocess.run(
        [sys.executable, "manage.py", "makemigrations", "--check", "--dry-run"],
        env={"PATH": "/usr/bin:/bin"},
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert "No changes detected" in result.stdout


@pytest.mark.parametrize(
    ("variable", "value", "says"),
    [
        ("DEBUG", "ture", "DEBUG must be one of"),
        ("BEHIND_TLS_PROXY", "maybe", "BEHIND_TLS_PROXY must be one of"),
        ("DATABASE_URL", "postgres//no-scheme", "DATABASE_URL"),
        ("DATABASE_URL", "carrier://db", "DATABASE_URL"),
        ("EMAIL_URL", "smtp://", "EMAIL_URL must name the SMTP host"),
        ("EMAIL_URL", "smtp://host:notaport", "EMAIL_URL is not a URL"),
        ("SIGNATURE_CONFIRM_MAX_AGE", "-5", "SIGNATURE_CONFIRM_MAX_AGE must be at least"),
        ("SIGNATURE_WITHDRAW_MAX_AGE", "a year", "SIGNATURE_WITHDRAW_MAX_AGE must be a whole number"),
        ("SECURE_HSTS_SECONDS", "-1", "SECURE_HSTS_SECONDS must be at least 0"),
        ("SIGN_RATE_PER_IP", "-3/h", "SIGN_RATE_PER_IP must be a rate"),
        ("SIGN_RATE_PER_EMAIL", "lots", "SIGN_RATE_PER_EMAIL must be a rate"),
        ("ROSTER_UPLOAD_MAX_MB", "-1", "ROSTER_UPLOAD_MAX_MB must be at least"),
        ("SIGN_RATE_PER_DOMAIN", "30/week", "SIGN_RATE_PER_DOMAIN must be a rate"),
        ("SIGN_CHALLENGE_THRESHOLD", "often", "SIGN_CHALLENGE_THRESHOLD must be a rate"),
        ("SIGN_CHALLENGE_ALWAYS", "sometimes", "SIGN_CHALLENGE_ALWAYS must be one of"),
        ("SIGN_CHALLENGE_DIFFICULTY", "64", "SIGN_CHALLENGE_DIFFICULTY must be between 1 and 28"),
        ("ABUSE_TRENDING_THRESHOLD", "1", "ABUSE_TRENDING_THRESHOLD must be at least 2"),
        ("NAME_MATCH_THRESHOLD", "120", "NAME_MATCH_THRESHOLD must be between 0 and 100"),
        ("WEB_ACCESS_LOG", "quiet", "WEB_ACCESS_LOG must be one of"),
        ("LOG_LEVEL", "loud", "LOG_LEVEL must be one of"),
    ],
)
def test_a_bad_value_stops_the_start_naming_the_variable(variable, value, says):
    result = python("import django; django.setup()", **{"DEBUG": "1", variable: value})
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and says in result.stderr


def test_good_values_in_every_accepted_spelling_are_read():
    found = settings_with(
        ["DEBUG", "SIGN_RATE_PER_IP", "SIGNATURE_CONFIRM_MAX_AGE"],
        DEBUG="Yes",
        SIGN_RATE_PER_IP="100/5m",
        SIGNATURE_CONFIRM_MAX_AGE="3600",
    )
    assert found == {"DEBUG": "True", "SIGN_RATE_PER_IP": "100/5m", "SIGNATURE_CONFIRM_MAX_AGE": "3600"}


def test_privacy_and_proxy_settings_come_from_the_environment():
    names = [
        "ALLAUTH_TRUSTED_PROXY_COUNT",
        "ALLAUTH_TRUSTED_CLIENT_IP_HEADER",
        "ACCOUNT_RATE_LIMITS",
        "UNCONFIRMED_RETENTION_DAYS",
        "REJECTED_RETENTION_DAYS",
    ]
    found = settings_with(
        names,
        DEBUG="1",
        ALLAUTH_TRUSTED_PROXY_COUNT="2",
        ALLAUTH_TRUSTED_CLIENT_IP_HEADER="X-Real-IP",
        LOGIN_FAILED_RATE_PER_ACCOUNT_AND_IP="3/10m",
        UNCONFIRMED_RETENTION_DAYS="14",
        REJECTED_RETENTION_DAYS="7",
    )
    assert (found["ALLAUTH_TRUSTED_PROXY_COUNT"], found["ALLAUTH_TRUSTED_CLIENT_IP_HEADER"]) == ("2", "X-Real-IP")
    assert found["ACCOUNT_RATE_LIMITS"] == str({"login_failed": "10/m/ip,3/10m/key"})
    assert (found["UNCONFIRMED_RETENTION_DAYS"], found["REJECTED_RETENTION_DAYS"]) == ("14", "7")


@pytest.mark.parametrize(
    "name, value",
    [("ALLAUTH_TRUSTED_PROXY_COUNT", "two"), ("UNCONFIRMED_RETENTION_DAYS", "0"), ("WITHDRAWN_RETENTION_DAYS", "-1")],
)
def test_a_bad_privacy_or_proxy_setting_stops_the_start_naming_it(name, value):
    result = python("import django; django.setup()", DEBUG="1", **{name: value})
    assert result.returncode != 0 and name in result.stderr


def test_postgresql_statements_are_prepared_unless_turned_off():
    url = "postgres://u@127.0.0.1:5432/undersigned"
    on = settings_with(["DATABASES"], DEBUG="1", DATABASE_URL=url)["DATABASES"]
    assert "'server_side_binding': True" in on and "'prepare_threshold': 5" in on
    off = settings_with(["DATABASES"], DEBUG="1", DATABASE_URL=url, DATABASE_PREPARED_STATEMENTS="0")["DATABASES"]
    assert "server_side_binding" not in off and "prepare_threshold" not in off
    from_url = settings_with(["DATABASES"], DEBUG="1", DATABASE_URL=f"{url}?prepare_threshold=20")["DATABASES"]
    assert "'prepare_threshold': 20" in from_url
    embedded = settings_with(["DATABASES"], DEBUG="1")["DATABASES"]
    assert "prepare_threshold" not in embedded  # SQLite: nothing to prepare
