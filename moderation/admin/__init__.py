"""The moderators' panel, one module per concern; importing them registers their ModelAdmins."""

from . import accounts, audit, claims, invitations, petitions, rosters  # noqa: F401

__all__ = ["accounts", "audit", "claims", "invitations", "petitions", "rosters"]
