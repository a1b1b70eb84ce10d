"""The operators' rules as signing reads them: the rules for email domains (Domain) and the petitions whose
signers must all pass the challenge (ChallengeSetting), kept by each process for RULES_TTL seconds.

Two queries of every signing POST (a fifth of its queries, a tenth of its CPU) read tables that change a few
times a day, by hand. So each process keeps both tables, whole, and reads them again after RULES_TTL seconds: a
change made in this process (the admin's save or delete) forgets them at once, and again at its commit; other
processes (the other web processes, other machines) apply it within RULES_TTL seconds. A few signatures in those
seconds are judged by the old rule, as they would have been had they arrived a moment earlier; a domain blocked
late is what bulk invalidation (abuse.invalidation) is for.

Whole tables rather than the answers asked for: whether a signing reads them depends only on the clock, never on
the domain it names, so its response time cannot tell whether someone signed from that domain a moment ago. Both
are operators' lists, typed by hand (a few rows to a few thousand).
"""

import time
from dataclasses import dataclass

from django.db import transaction

from . import domains
from .models import ChallengeSetting, Domain

RULES_TTL = 10.0  # seconds


@dataclass(frozen=True)
class Rules:
    read_until: float  # time.monotonic()
    domains: dict[str, str]  # name → Domain.State
    challenge_always: frozenset[int]  # petition ids


_kept: Rules | None = None  # replaced whole, never changed: safe between a process's threads


def domain_rule(domain: str) -> str | None:
    """The operators' state (Domain.State) for this domain or its nearest listed parent; None if unlisted."""
    listed = _rules().domains
    candidates = domains.parents(domain.lower())[:-1] or [domain.lower()]  # never a bare top-level domain
    for name in candidates:
        if name in listed:
            return listed[name]
    return None


def challenge_forced(petition_id: int) -> bool:
    """Whether the operators require the challenge of every signer of this petition, whatever its rate."""
    return petition_id in _rules().challenge_always


def forget() -> None:
    """Read the rules again at the next signing."""
    global _kept
    _kept = None


def forget_changed(**_signal) -> None:
    """A rule changed in this process: forget now, and again at its commit, so that nothing read in between
    (before the change was visible) is kept. Connected to Domain's and ChallengeSetting's saves and deletes in
    AbuseConfig.ready()."""
    forget()
    transaction.on_commit(forget)


def _rules() -> Rules:
    global _kept
    kept = _kept
    if kept is None or kept.read_until <= time.monotonic():
        kept = _kept = Rules(
            read_until=time.monotonic() + RULES_TTL,
            domains=dict(Domain.objects.values_list("name", "state")),
            challenge_always=frozenset(
                ChallengeSetting.objects.filter(always=True).values_list("petition_id", flat=True)
            ),
        )
    return kept
