"""Signing with the defences in front: the one function the signing form (and any later surface) calls.

`screen` counts the attempt against every limit in one round trip, before the form is even validated (every
attempt counts, valid or not). `sign` then either stores the signature through `signatures.services.sign`
and remembers where it came from, or parks it. A parked submission gets exactly the answer a stored one gets
("check your email"): a bot learns nothing, nothing is emailed, nothing counts.
"""

import hashlib
import logging
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone

from petitions.models import Petition, PetitionVersion
from signatures import services
from signatures.addresses import email_key
from signatures.models import Signature

from . import domains, limits, networks, proof, rules
from .models import Domain, Parked, Source

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Attempt:
    """A signing attempt as the surface sees it: the address as typed, the client, the challenge answer."""

    petition: Petition
    email: str
    ip: networks.Address | None
    challenge: str = ""
    nonce: str = ""


@dataclass(frozen=True)
class Screening:
    """What the limits said about one attempt."""

    wait: int | None  # seconds: over the plain per-IP flood limit (the one limit answered with 429)
    park_reason: str | None  # a Parked.Reason: held back silently
    challenge_required: bool
    challenge_passed: bool
    network: str
    domain: str

    @property
    def needs_challenge(self) -> bool:
        return self.challenge_required and not self.challenge_passed


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _layers(attempt: Attempt, address: str, domain: str, rule: str | None, network: str) -> list[limits.Layer]:
    """The limits this attempt counts against; `network`: its range's key (networks.range_key)."""
    R = Parked.Reason
    client = networks.address_key(attempt.ip)
    pid = attempt.petition.pk
    layers = [limits.Layer("ip", f"ip:{client}", settings.SIGN_RATE_PER_IP)]
    if address:
        # Per sender IP + address: someone else spamming your address from their IP cannot lock you out.
        digest = _digest(address)
        pair = f"ip-address:{client}:{digest}"
        layers.append(limits.Layer(R.RATE_ADDRESS, pair, settings.SIGN_RATE_PER_EMAIL))
        layers.append(limits.Layer(R.RATE_EMAIL, f"address:{digest}", settings.SIGN_RATE_PER_ADDRESS))
    if domain and rule != Domain.State.ALLOWED and not domains.is_big_provider(domain):
        if rule == Domain.State.THROTTLED:
            rate, name = settings.SIGN_RATE_PER_THROTTLED_DOMAIN, "throttled-domain"
        else:
            rate, name = settings.SIGN_RATE_PER_DOMAIN, "domain"
        layers.append(limits.Layer(R.RATE_DOMAIN, f"{name}:{pid}:{_digest(domain)}", rate))
    if network:
        layers.append(limits.Layer(R.RATE_RANGE, f"range:{network}", settings.SIGN_RATE_PER_RANGE))
    layers.append(limits.Layer(R.RATE_PETITION, f"petition:{pid}", settings.SIGN_RATE_PER_PETITION))
    return layers


# The order in which reasons are named when several limits are over (the most specific first).
_PARK_ORDER = (
    Parked.Reason.RATE_ADDRESS,
    Parked.Reason.RATE_EMAIL,
    Parked.Reason.RATE_DOMAIN,
    Parked.Reason.RATE_RANGE,
    Parked.Reason.RATE_PETITION,
)


def screen(attempt: Attempt) -> Screening:
    """Count this attempt against every layer (one Redis round trip) and check its challenge answer."""
    address = email_key(attempt.email or "")[:254]
    domain = address.rpartition("@")[2][:253] if "@" in address else ""
    rule = rule_for(domain) if domain else None
    network = networks.range_key(attempt.ip)
    layers = _layers(attempt, address, domain, rule, network)
    solved = bool(attempt.challenge) and proof.check(attempt.challenge, attempt.nonce, attempt.petition.pk)
    # A solution is good for one signature: the same round trip marks it used.
    usage = limits.count(layers, attempt.petition.pk, proof.token_digest(attempt.challenge) if solved else "")
    by_name = {layer.name: layer for layer in layers}
    wait = by_name["ip"].window if usage.over(by_name["ip"]) else None
    reason = Parked.Reason.BLOCKED_DOMAIN if rule == Domain.State.BLOCKED else None
    reason = reason or next((r for r in _PARK_ORDER if r in by_name and usage.over(by_name[r])), None)
    required = settings.SIGN_CHALLENGE_ALWAYS or usage.challenge_on or challenge_forced(attempt.petition)
    passed = solved and usage.first_use
    return Screening(wait, reason, required, passed, network, domain)


def rule_for(domain: str) -> str | None:
    """The operators' state (Domain.State) for this domain or its nearest listed parent; None if unlisted (as
    this process last read it, at most abuse.rules.RULES_TTL seconds ago)."""
    return rules.domain_rule(domain)


def challenge_forced(petition: Petition) -> bool:
    """The operators' "challenge always" for this petition (as abuse.rules keeps it)."""
    return rules.challenge_forced(petition.pk)


def challenge_required(petition: Petition) -> bool:
    """Whether a signer of this petition must solve the challenge now (what the form's script asks first)."""
    return settings.SIGN_CHALLENGE_ALWAYS or limits.challenge_is_on(petition.pk) or challenge_forced(petition)


def sign(
    petition: Petition,
    details: dict,
    screening: Screening,
    *,
    version: PetitionVersion | None = None,
    honeypot: str = "",
    **options,
) -> Signature | Parked:
    """Store the signature (and where it came from), or park it; the caller answers both the same way.

    Raises services.PetitionNotOpen like `services.sign`. The caller has dealt with `wait` and
    `needs_challenge` first: those are answered differently, on purpose (docs/decisions.md). `options` go to
    `services.sign` unchanged (what other workstreams add to signing, e.g. the client IP's keyed hash).
    """
    reason = Parked.Reason.HONEYPOT if honeypot else screening.park_reason
    if reason:
        # As read now (`petition` may be a copy a few seconds old): a parked attempt on a closed petition is
        # answered as a stored one would be, "not open".
        if not Petition.objects.only("status", "closes_at").get(pk=petition.pk).accepts_signatures:
            raise services.PetitionNotOpen(petition.slug)
        return park(petition, details, screening, reason)
    # Where it came from is written by the signing's own statement (a known signature keeps its first source).
    source = Source.alongside(petition.pk, screening.network, screening.domain)
    return services.sign(petition, details, version=version, alongside=[source], **options)


def park(petition: Petition, details: dict, screening: Screening, reason: str) -> Parked:
    logger.info("signature parked on %s: %s", petition.slug, reason)
    return Parked.objects.create(
        petition=petition,
        reason=reason,
        full_name=str(details.get("full_name", ""))[:120],
        email=str(details.get("email", ""))[:254],
        domain=screening.domain,
        affiliation=details.get("affiliation"),
        network=screening.network,
        created_at=timezone.now(),
    )
