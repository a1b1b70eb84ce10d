"""A self-hosted proof-of-work challenge: no third-party service, no cookie, cheap for the server to check.

The server hands out a signed challenge (petition, time, difficulty, random salt, HMAC); the browser
(front/static/front/challenge.js, SubtleCrypto) finds a nonce such that SHA-256("<challenge>:<nonce>")
starts with `difficulty` zero bits, about 2^difficulty tries; the server checks with one HMAC and one hash.
A solution is good once (limits.count marks it used, in the signing's one round trip) and for
SIGN_CHALLENGE_MAX_AGE seconds.
"""

import hashlib
import hmac
import secrets
import time

from django.conf import settings
from django.utils.crypto import salted_hmac

VERSION = "v1"
MAX_TOKEN_LENGTH = 200
MAX_NONCE_LENGTH = 20


def _mac(payload: str) -> str:
    return salted_hmac("undersigned.abuse.proof", payload, algorithm="sha256").hexdigest()[:32]


def issue(petition_id: int, difficulty: int | None = None, now: float | None = None) -> str:
    """A fresh challenge for one signing of this petition."""
    difficulty = difficulty or settings.SIGN_CHALLENGE_DIFFICULTY
    issued = int(now if now is not None else time.time())
    payload = f"{VERSION}.{petition_id}.{issued}.{difficulty}.{secrets.token_hex(8)}"
    return f"{payload}.{_mac(payload)}"


def leading_zero_bits(digest: bytes) -> int:
    bits = 0
    for byte in digest:
        if byte == 0:
            bits += 8
            continue
        return bits + 8 - byte.bit_length()
    return bits


def digest_of(token: str, nonce: str) -> bytes:
    return hashlib.sha256(f"{token}:{nonce}".encode()).digest()


def solve(token: str) -> str:
    """What the browser does, in Python: used by the tests (a bot could do the same; it costs it the same)."""
    difficulty = int(token.split(".")[3])
    nonce = 0
    while leading_zero_bits(digest_of(token, str(nonce))) < difficulty:
        nonce += 1
    return str(nonce)


def check(token: str, nonce: str, petition_id: int, now: float | None = None) -> bool:
    """A genuine, unexpired challenge for this petition, at least as hard as required now, solved by `nonce`.

    Never raises: anything malformed, oversized or forged is simply not a solution.
    """
    if not token or not nonce or len(token) > MAX_TOKEN_LENGTH or len(nonce) > MAX_NONCE_LENGTH:
        return False
    if not nonce.isascii() or not nonce.isdigit():
        return False
    payload, _dot, mac = token.rpartition(".")
    parts = payload.split(".")
    if len(parts) != 5 or parts[0] != VERSION or not hmac.compare_digest(mac, _mac(payload)):
        return False
    _version, petition, issued, difficulty, _salt = parts
    try:
        petition, issued, difficulty = int(petition), int(issued), int(difficulty)
    except ValueError:
        return False
    now = now if now is not None else time.time()
    if petition != petition_id or difficulty < settings.SIGN_CHALLENGE_DIFFICULTY:
        return False
    if not (now - settings.SIGN_CHALLENGE_MAX_AGE <= issued <= now + 60):
        return False
    return leading_zero_bits(digest_of(token, nonce)) >= difficulty


def token_digest(token: str) -> str:
    """A short name for a challenge, to remember that it has been used."""
    return hashlib.sha256(token.encode()).hexdigest()[:32]
