"""Two teams side by side, and the invitation emails: what the cross-team and invitation stories share.

A team is an organiser who keeps their affiliation's roster, a moderator, and a letter offering that
affiliation with one confirmed claim. Built through the product's own doors (teams.roles, signatures.services).
"""

import re
from dataclasses import dataclass

from petitions.models import Petition
from signatures.models import Signature
from verification.models import Affiliation

from .factories import (
    make_affiliation,
    make_moderator,
    make_organiser,
    make_petition,
    make_roster_entry,
    make_signature,
)

INVITATION_LINK = re.compile(r"https?://[^/\s]+(/accounts/invitation/[^\s/]+/)")


@dataclass
class Team:
    name: str
    organiser: object
    moderator: object
    letter: Petition
    affiliation: Affiliation
    signature: Signature


def make_team(name: str, *, member: str = "") -> Team:
    """Team `name`: its letter offers its own affiliation; one signer claims it (on the roster if `member`)."""
    affiliation = make_affiliation(f"{name}-members", name=f"{name.title()} members")
    letter = make_petition(title=f"Letter of team {name}", slug=f"letter-{name}", affiliations=[affiliation])
    organiser = make_organiser(f"organiser@{name}.example", [letter], keeps=[affiliation])
    moderator = make_moderator(f"moderator@{name}.example", [letter])
    if member:
        make_roster_entry(affiliation, member, f"roster@{name}.example")
    signature = make_signature(
        letter, full_name=f"Signer of {name}", email=f"signer@{name}-mail.example.org", affiliation=affiliation
    )
    return Team(name, organiser, moderator, letter, affiliation, signature)


def body_of(message) -> str:
    """The text part of an email, whether from Django's outbox or a real SMTP sink."""
    if hasattr(message, "body"):
        return message.body
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            return part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8")
    raise AssertionError("no text part")


def invitation_path(message) -> str:
    """The path of the accept link in an invitation email."""
    found = INVITATION_LINK.search(body_of(message))
    assert found, body_of(message)
    return found.group(1)
