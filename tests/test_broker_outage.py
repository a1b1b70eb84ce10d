"""With the broker down, signing and confirming still answer normally and nothing stored is lost: the sweeper
(`catch_up`, what celery beat runs every SWEEP_EVERY seconds) sends the email the signer is owed."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

STORY = """
import django
django.setup()
from django.core.management import call_command
from django.test import Client
call_command("migrate", verbosity=0)
from signatures.models import Signature
from tests.support.factories import make_affiliation, make_petition
from signatures import tokens
artists = make_affiliation("artists")
letter = make_petition(affiliations=[artists])
client = Client()
signed = client.post(f"/petitions/{letter.slug}/sign/", {"full_name": "Ada Lovelace", "email": "ada@example.org",
                     "affiliation": "artists", "public": "on"})
signature = Signature.objects.get()
confirmed = client.post(f"/signatures/confirm/{tokens.confirm_token(signature)}/")
signature.refresh_from_db()
from django.core import mail
print(signed.status_code, confirmed.status_code, signature.status, signature.verification,
      len(getattr(mail, "outbox", [])))
call_command("catch_up", "--now")
print(len(mail.outbox), mail.outbox[0].to[0])
"""


def test_signing_and_confirming_survive_an_unreachable_broker(tmp_path):
    env = {
        "PATH": "/usr/bin:/bin",
        "DJANGO_SETTINGS_MODULE": "undersigned.settings",
        "SECRET_KEY": "k" * 50,
        "ALLOWED_HOSTS": "testserver",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'outage.sqlite3'}",
        "CELERY_BROKER_URL": "redis://127.0.0.1:1/0",  # nothing listens on port 1
        "EMAIL_URL": "memorymail://",
    }
    result = subprocess.run(
        [sys.executable, "-c", STORY], env=env, cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["200", "200", "confirmed", "pending", "0"]  # no email while the broker is down
    assert "Confirmation emails: 1 sent" in result.stdout
    assert lines[-1] == "1 ada@example.org"  # the sweeper sent the one owed
    assert "Could not queue signatures.tasks.send_owed_confirmations" in result.stderr
    assert "Could not queue verification.tasks.check_owed_claims" in result.stderr
