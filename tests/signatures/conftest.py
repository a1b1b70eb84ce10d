import pytest

from tests.signatures.signer import Signer


@pytest.fixture
def signer(client, mailoutbox, django_capture_on_commit_callbacks) -> Signer:
    return Signer(client, django_capture_on_commit_callbacks)


@pytest.fixture
def settled(django_capture_on_commit_callbacks):
    """`with settled(): ...` runs the tasks queued inside (emails, claim checks) as production would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)
