"""Which email domains the defences treat differently: disposable ones (refused), operators' rules (Domain),
and the big free-mail providers, which a per-domain limit would only hurt (exempt, like operators' allowed)."""

from functools import lru_cache

from signatures.addresses import AddressError, canonical_domain, is_free_mail_domain


def normalise_domain(text: str) -> str:
    """A domain as operators type it (`@Example.ORG.`) in the canonical form addresses use. ValueError if invalid."""
    try:
        domain = canonical_domain(text)
    except AddressError as error:
        raise ValueError(str(error.message))
    if "." not in domain or len(domain) > 253:
        raise ValueError("Enter a domain such as example.org.")
    return domain


def parents(domain: str) -> list[str]:
    """`a.b.example.org` → [a.b.example.org, b.example.org, example.org, org]: a rule on a parent covers it."""
    labels = domain.split(".")
    return [".".join(labels[i:]) for i in range(len(labels))]


@lru_cache(maxsize=1)
def _disposable() -> frozenset[str]:
    """disposable-email-domains' blocklist (maintained upstream, pinned in requirements.txt), loaded once."""
    from disposable_email_domains import blocklist

    return frozenset(blocklist)


def is_disposable(domain: str) -> bool:
    """A throwaway-inbox domain (mailinator.com and its subdomains...): no one signs a letter from one for real."""
    listed = _disposable()
    return any(name in listed for name in parents(domain.lower()))


def is_big_provider(domain: str) -> bool:
    """Free-mail providers (gmail.com...) carry many real signers: a per-domain limit on them would lock people out."""
    return is_free_mail_domain(domain)
