"""Email addresses and domains in one canonical, comparable form (see canonical.py for why), lookalike
domains flagged for moderators (lookalikes.py), and the membership-domain policy (domains.py)."""

from .canonical import AddressError, canonical_address, canonical_domain, email_domain, email_key
from .domains import domain_matches, domain_policy_problems, is_free_mail_domain
from .lookalikes import display_domain, domain_warnings, is_confusable_domain

__all__ = [
    "AddressError",
    "canonical_address",
    "canonical_domain",
    "display_domain",
    "domain_matches",
    "domain_policy_problems",
    "domain_warnings",
    "email_domain",
    "email_key",
    "is_confusable_domain",
    "is_free_mail_domain",
]
