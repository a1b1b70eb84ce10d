"""Signed, expiring links for the emails: one purpose per salt, so a confirm link cannot withdraw."""

from django.conf import settings
from django.core import signing

CONFIRM = "confirm"
WITHDRAW = "withdraw"


class BadToken(Exception):
    """The link was tampered with, is for another purpose, or has expired."""


def make_token(signature_id: int, purpose: str) -> str:
    return signing.dumps(signature_id, salt=f"signatures.{purpose}", compress=False)


def read_token(token: str, purpose: str) -> int:
    max_age = settings.SIGNATURE_CONFIRM_MAX_AGE if purpose == CONFIRM else settings.SIGNATURE_WITHDRAW_MAX_AGE
    try:
        value = signing.loads(token, salt=f"signatures.{purpose}", max_age=max_age)
    except signing.BadSignature as error:  # includes SignatureExpired
        raise BadToken(str(error)) from error
    if not isinstance(value, int):
        raise BadToken("unexpected token payload")
    return value
