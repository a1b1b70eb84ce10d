"""The moderators' panel, one module per concern; importing them registers their ModelAdmins."""

from . import abuse, accounts, audit, claims, invitations, petitions, privacy, rosters  # noqa: F401

__all__ = ["abuse", "accounts", "audit", "claims", "invitations", "petitions", "privacy", "rosters"]
