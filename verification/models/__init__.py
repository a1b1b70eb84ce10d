"""The verification domain's models, one module per concern."""

from .challenges import RosterChallenge
from .evidence import Evidence, Recheck, RecheckChunk
from .rosters import Affiliation, RosterEntry, RosterImport, parse_domains, validate_domains

__all__ = [
    "Affiliation",
    "Evidence",
    "Recheck",
    "RecheckChunk",
    "RosterChallenge",
    "RosterEntry",
    "RosterImport",
    "parse_domains",
    "validate_domains",
]
