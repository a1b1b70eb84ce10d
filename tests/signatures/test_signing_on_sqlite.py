"""The embedded database (`make run`, SQLite) signs through the same statement as PostgreSQL (signatures.upsert), less
the data-modifying WITH (the outbox's row and the rows alongside follow in the same transaction): a new address is
stored, a known one restated and keeps its first source, and a petition closed or past its closing time takes
nothing, whatever copy of it the caller holds. In a fresh process, as the site runs there."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent

STORY = """
import django
django.setup()
from datetime import timedelta
from django.core.management import call_command
from django.utils import timezone
call_command("migrate", verbosity=0)
from petitions.models import Petition
from signatures import services
from signatures.models import OutgoingConfirmation, Signature
from tests.support.factories import make_petition
details = dict(full_name="Ada", email="ada@example.org", affiliation=None, roster_email="", role="",
               organisation="", comment="", public=True, language="en")
def attempt(petition, **changes):
    try:
        return services.sign(petition, {**details, **changes}).pk
    except services.PetitionNotOpen:
        return "refused"
letter = make_petition()
closing = make_petition(closes_at=timezone.now() + timedelta(days=1))
first = attempt(letter)
print(first == attempt(letter, full_name="Ada L"), Signature.objects.get(pk=first).full_name)
print(attempt(closing, email="bob@example.org") != "refused")
Petition.objects.filter(pk=letter.pk).update(status=Petition.Status.CLOSED)  # `letter` still says open
Petition.objects.filter(pk=closing.pk).update(closes_at=timezone.now() - timedelta(seconds=1))
print(attempt(letter, email="carol@example.org"), attempt(closing, email="dan@example.org"))
print(Signature.objects.count(), OutgoingConfirmation.objects.count())
from abuse.models import Source
open_letter = make_petition()
def sourced(email, network):
    source = Source.alongside(open_letter.pk, network, "example.org")
    return services.sign(open_letter, {**details, "email": email}, alongside=[source]).pk
erin = sourced("erin@example.org", "first")
print(erin == sourced("erin@example.org", "second"), sourced("fay@example.org", "third") != erin)
print(sorted(Source.objects.values_list("signature__email", "network")))
"""


def test_signing_on_the_embedded_database_stores_restates_and_refuses_a_closed_petition(tmp_path):
    env = {
        "PATH": "/usr/bin:/bin",
        "DJANGO_SETTINGS_MODULE": "undersigned.settings",
        "SECRET_KEY": "k" * 50,
        "ALLOWED_HOSTS": "testserver",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'embedded.sqlite3'}",
        "CELERY_BROKER_URL": "memory://",
        "EMAIL_URL": "memorymail://",
    }
    result = subprocess.run(
        [sys.executable, "-c", STORY], env=env, cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "True Ada L",  # the known address restated, one signature
        "True",
        "refused refused",
        "2 2",  # Ada's and Bob's, each owed its email (in the same transaction: SQLite has no data-modifying WITH)
        "True True",  # Erin signs again: the same signature; Fay is another
        "[('erin@example.org', 'first'), ('fay@example.org', 'third')]",  # the source written with each, kept
    ]
