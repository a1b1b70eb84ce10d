"""Signed, expiring links for the emails: one purpose per salt, so a confirm link cannot withdraw.

A confirm link also carries a fingerprint of what it confirms (the details and the withdrawal it
follows): when the details change, or the signer withdraws, the older confirm links stop working, so a
link always confirms exactly what its email showed. Withdraw and erase links carry a fingerprint of the
signature as it was submitted (its details and when): a re-sign or a change kills them, so a link in an old
email cannot withdraw or erase what its signer submitted later.
"""

import hashlib
import json

from django.conf import settings
from django.core import signing

from .models import Signature

CONFIRM = "confirm"
WITHDRAW = "withdraw"
ERASE = "erase"


class BadToken(Exception):
    """The link was tampered with, is for another purpose, or has expired."""


def make_token(signature_id: int, purpose: str, fingerprint: str = "") -> str:
    payload = [signature_id, fingerprint] if fingerprint else signature_id
    return signing.dumps(payload, salt=f"signatures.{purpose}", compress=False)


def read_token(token: str, purpose: str, max_age: int | None = None) -> tuple[int, str]:
    """The id and fingerprint ("" if the link carries none) of a valid, unexpired link."""
    if max_age is None:
        max_age = {
            CONFIRM: settings.SIGNATURE_CONFIRM_MAX_AGE,
            ERASE: settings.SIGNATURE_ERASE_MAX_AGE,
        }.get(purpose, settings.SIGNATURE_WITHDRAW_MAX_AGE)
    if len(token) > 500:
        raise BadToken("too long to be one of ours")
    try:
        value = signing.loads(token, salt=f"signatures.{purpose}", max_age=max_age)
    except signing.BadSignature as error:  # includes SignatureExpired
        raise BadToken(str(error)) from error
    if _is_id(value):
        return value, ""
    if isinstance(value, list) and len(value) == 2 and _is_id(value[0]) and isinstance(value[1], str):
        return value[0], value[1]
    raise BadToken("unexpected token payload")


def _is_id(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def fingerprint(signature: Signature) -> str:
    """What a confirmation makes public, and the withdrawal (if any) it would undo."""
    parts = [
        signature.full_name,
        signature.email_key,
        signature.affiliation_id,
        signature.role,
        signature.organisation,
        signature.comment,
        signature.public,
        signature.version_id,
        signature.withdrawn_at.isoformat() if signature.withdrawn_at else None,
    ]
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()[:24]


def submission_fingerprint(signature: Signature) -> str:
    """The signature as its signer last submitted it: changes with a re-sign or a change, not with confirming."""
    parts = [
        signature.full_name,
        signature.email_key,
        signature.affiliation_id,
        signature.role,
        signature.organisation,
        signature.comment,
        signature.public,
        signature.version_id,
        signature.submitted_at.isoformat() if signature.submitted_at else None,
    ]
    return hashlib.sha256(json.dumps(["submitted", *parts]).encode()).hexdigest()[:24]


def confirm_token(signature: Signature) -> str:
    return make_token(signature.pk, CONFIRM, fingerprint(signature))


def withdraw_token(signature: Signature) -> str:
    return make_token(signature.pk, WITHDRAW, submission_fingerprint(signature))


def erase_token(signature: Signature) -> str:
    return make_token(signature.pk, ERASE, submission_fingerprint(signature))
