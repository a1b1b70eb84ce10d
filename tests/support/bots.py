"""Signing as a bot would: from chosen source addresses, solving the proof-of-work when the site asks for it."""

from abuse import proof
from tests.support.signer import form


def sign_from(client, capture, petition, ip: str, *, solve: bool = True, **overrides):
    """POST the signing form from `ip` (REMOTE_ADDR), first asking for (and solving) the challenge if it is on."""
    data = form(**overrides)
    if solve:
        answer = client.get(f"/petitions/{petition.slug}/sign/challenge/", REMOTE_ADDR=ip).json()
        if answer["required"]:
            data.update(challenge=answer["challenge"], nonce=proof.solve(answer["challenge"]))
    with capture(execute=True):
        return client.post(f"/petitions/{petition.slug}/sign/", data, REMOTE_ADDR=ip)
