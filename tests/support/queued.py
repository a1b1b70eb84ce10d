"""Unit tests run in a transaction that never commits; `settled()` runs what was queued for after the commit."""

from django.test import TestCase


def settled():
    """`with settled(): ...` runs the tasks queued inside the block (eagerly), as the workers would."""
    return TestCase.captureOnCommitCallbacks(execute=True)
