"""A member of the public with a browser and a mailbox: signs, reads the email, follows its links.

Requests run their on-commit hooks (the queued tasks run eagerly in unit tests), as they would once the
request's transaction commits in production.
"""

import re

from django.core import mail

LINK = re.compile(r"https?://[^/\s]+(/signatures/(confirm|withdraw|erase)/[^/\s]+/)")


def form(**overrides) -> dict:
    """A valid signing form; a value of None leaves that field out."""
    data = {
        "full_name": "Ada Lovelace",
        "email": "ada@example.org",
        "affiliation": "",
        "role": "",
        "organisation": "",
        "comment": "",
        "public": "on",
    }
    data.update(overrides)
    return {name: value for name, value in data.items() if value is not None}


class Signer:
    def __init__(self, client, capture_on_commit):
        self.client = client
        self._capture = capture_on_commit

    def sign(self, petition, **overrides):
        return self.post(f"/petitions/{petition.slug}/sign/", form(**overrides))

    def get(self, path: str, **params):
        with self._capture(execute=True):
            return self.client.get(path, params)

    def post(self, path: str, data: dict | None = None):
        with self._capture(execute=True):
            return self.client.post(path, data or {})

    def emails_to(self, address: str) -> list:
        return [message for message in mail.outbox if address in message.to]

    def links(self, address: str) -> dict[str, str]:
        """The confirm and withdraw paths in the newest email to `address`."""
        [*_, message] = self.emails_to(address)
        return {purpose: path for path, purpose in LINK.findall(message.body)}

    def confirm_link(self, address: str) -> str:
        return self.links(address)["confirm"]

    def withdraw_link(self, address: str) -> str:
        return self.links(address)["withdraw"]

    def erase_link(self, address: str) -> str:
        return self.links(address)["erase"]
