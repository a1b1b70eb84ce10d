"""The verification domain's models, one module per concern."""

from .challenges import RosterChallenge
from .evidence import Evidence, Recheck
from .rosters import Affiliation, RosterEntry, RosterImport, parse_domains, validate_domains

__all__ = [
    "Affiliation",
    "Evidence",
    "Recheck",
    "RosterChallenge",
    "RosterEntry",
    "RosterImport",
    "parse_domains",
    "validate_domains",
]
