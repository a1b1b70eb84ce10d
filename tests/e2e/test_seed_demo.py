import io

import pytest
from django.core.management import call_command

from demo import story as demo
from petitions.models import Petition
from signatures.models import Signature

pytestmark = pytest.mark.django_db


@pytest.fixture
def seed(django_capture_on_commit_callbacks):
    """Runs seed_demo with its queued tasks executed in-process, as `make run` does."""

    def run() -> str:
        out = io.StringIO()
        with django_capture_on_commit_callbacks(execute=True):
            call_command("seed_demo", stdout=out)
        return out.getvalue()

    return run


def test_seed_demo_builds_the_letter_with_claims_in_every_verification_state(client, seed):
    output = seed()

    letter = Petition.objects.get(slug=demo.LETTER["slug"])
    assert letter.status == "open"
    assert set(Signature.objects.filter(petition=letter).values_list("verification", flat=True)) == set(
        Signature.Verification.values
    )
    assert set(Signature.objects.filter(petition=letter).values_list("status", flat=True)) == {
        "unconfirmed", "confirmed", "withdrawn"
    }  # fmt: skip
    assert letter.affiliations.get().roster.count() == demo.ROSTER_SIZE
    assert f"{letter.signature_count} confirmed signatures" in output
    assert "admin@example.org / " in output
    page = client.get(letter.get_absolute_url()).content.decode()
    assert "Pat Pending" in page
    assert "sam@mail.example" not in page


def test_seed_demo_emails_nobody(seed, mailoutbox):
    seed()
    assert mailoutbox == []


def test_seed_demo_twice_changes_nothing(seed):
    seed()
    before = Signature.objects.count()
    assert "already there" in seed()
    assert Signature.objects.count() == before
