"""The layered signing limits, counted in one Redis round trip (a Lua script), e-petitions' RateLimit in spirit.

Each layer is a fixed-window counter: the first hit sets the window's expiry. The same script raises the
petition's "challenge on" flag when its rate crosses SIGN_CHALLENGE_THRESHOLD, says whether it is up, and marks
a solved challenge used (a solution is good for one signature). One EVALSHA (the script by its digest; EVAL
when the server has not seen it yet, e.g. after a restart) is all of a signing's Redis work.
With a cache that is not Redis (`make run`: local memory) the same counters go through Django's cache API.
If the cache cannot be reached, nothing is limited and the failure is logged: refusing every signer
because Redis is down would hand the attacker the outage.
"""

import hashlib
import logging
import re
from dataclasses import dataclass, field
from functools import lru_cache

from django.conf import settings
from django.core.cache import DEFAULT_CACHE_ALIAS, cache, caches
from redis.exceptions import NoScriptError

logger = logging.getLogger(__name__)

_PERIOD = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_RATE = re.compile(r"^(\d+)/(\d*)([smhd])$")

# KEYS: the counters, the challenge flag (reported as it was before this attempt: the attempt that reaches the
# threshold still passes, the next ones need the challenge), and, for an attempt with a solved challenge, that
# solution's "used" marker. ARGV: the number of counters, each counter's window in seconds, then the index (1-based)
# of the counter that switches the challenge on, its threshold, how long the flag stays up, and how long a used
# solution is remembered. Returns the counts, the flag, and (with a solution) 1 if this is its first use, else 0.
_SCRIPT = """
local n = tonumber(ARGV[1])
local counts = {}
for i = 1, n do
  local count = redis.call('INCR', KEYS[i])
  if count == 1 then redis.call('EXPIRE', KEYS[i], tonumber(ARGV[i + 1])) end
  counts[i] = count
end
counts[n + 1] = redis.call('EXISTS', KEYS[n + 1])
local trigger = tonumber(ARGV[n + 2])
if trigger > 0 and counts[trigger] >= tonumber(ARGV[n + 3]) then
  redis.call('SET', KEYS[n + 1], '1', 'EX', tonumber(ARGV[n + 4]))
end
if #KEYS > n + 1 then
  counts[n + 2] = redis.call('SET', KEYS[n + 2], '1', 'NX', 'EX', tonumber(ARGV[n + 5])) and 1 or 0
end
return counts
"""
_SCRIPT_DIGEST = hashlib.sha1(_SCRIPT.encode(), usedforsecurity=False).hexdigest()  # its name in Redis


@lru_cache(maxsize=64)  # the few rates of the settings, read about 14 times a signing
def parse_rate(rate: str) -> tuple[int, int]:
    """`30/h` → (30, 3600); `100/10m` → (100, 600): the rates settings.env_rate accepts."""
    match = _RATE.match(rate.replace(" ", ""))
    if not match:
        raise ValueError(f"not a rate: {rate!r}")
    count, multiple, unit = match.groups()
    return int(count), int(multiple or 1) * _PERIOD[unit]


@dataclass(frozen=True)
class Layer:
    """One limit: its name (a Parked reason or "ip"), cache key and rate."""

    name: str
    key: str
    rate: str

    @property
    def limit(self) -> int:
        return parse_rate(self.rate)[0]

    @property
    def window(self) -> int:
        return parse_rate(self.rate)[1]


@dataclass
class Usage:
    """What the round trip found: per layer, the count including this attempt; and whether the challenge is on."""

    counts: dict[str, int] = field(default_factory=dict)
    challenge_on: bool = False
    available: bool = True
    # The solved challenge presented (if any) had not been used before; True when there is none to check, or the
    # cache is down (reuse then goes undetected rather than refusing signers).
    first_use: bool = True

    def over(self, layer: Layer) -> bool:
        return self.counts.get(layer.name, 0) > layer.limit


def _key(*parts: object) -> str:
    """A cache key as Django's cache API takes it (the Redis path adds the prefix and version: make_key)."""
    return "abuse:" + ":".join(str(p) for p in parts)


def challenge_flag_key(petition_id: int) -> str:
    return _key("challenge-on", petition_id)


def petition_trigger(petition_id: int) -> Layer:
    return Layer("challenge_rate", _key("petition-rate", petition_id), settings.SIGN_CHALLENGE_THRESHOLD)


def count(layers: list[Layer], petition_id: int, solution: str = "") -> Usage:
    """Count one attempt against every layer and the petition's challenge trigger, in one round trip; with the
    digest of a solved challenge (`solution`), also mark it used and say whether this was its first use."""
    trigger = petition_trigger(petition_id)
    everything = [*layers, trigger]
    used_for = settings.SIGN_CHALLENGE_MAX_AGE + 60  # a solution expires before its "used" marker does
    try:
        backend = caches[DEFAULT_CACHE_ALIAS]  # `cache` is a proxy that looks it up again at every use
        client = _redis_client(backend)
        if client is None:
            return _count_with_cache_api(everything, trigger, petition_id, solution, used_for)
        names = [*(layer.key for layer in everything), challenge_flag_key(petition_id)]
        names += [solution_key(solution)] if solution else []
        keys = [backend.make_key(name) for name in names]
        args = [len(everything), *(layer.window for layer in everything)]
        args += [len(everything), trigger.limit, settings.SIGN_CHALLENGE_HOLD, used_for]
        try:
            found = client.evalsha(_SCRIPT_DIGEST, len(keys), *keys, *args)
        except NoScriptError:  # a server that has not run it since it started: EVAL also keeps it for EVALSHA
            found = client.eval(_SCRIPT, len(keys), *keys, *args)
        result = [int(n) for n in found]
        counts = {layer.name: n for layer, n in zip(everything, result, strict=False)}
        first_use = bool(result[len(everything) + 1]) if solution else True
        return Usage(counts, challenge_on=bool(result[len(everything)]), first_use=first_use)
    except Exception:  # the cache is down: keep accepting signatures rather than refuse everyone
        logger.exception("rate-limit cache unavailable; signing is not rate-limited")
        return Usage(available=False)


def solution_key(token_digest: str) -> str:
    return _key("challenge-used", token_digest)


def challenge_is_on(petition_id: int) -> bool:
    """Whether the petition's signing rate has switched the challenge on (one GET; False if the cache is down)."""
    try:
        return bool(cache.get(challenge_flag_key(petition_id)))
    except Exception:
        logger.exception("rate-limit cache unavailable; the challenge is not required")
        return False


def _redis_client(backend=cache):
    """The redis-py client behind Django's RedisCache (`backend`), or None for another backend."""
    backend = getattr(backend, "_cache", None)
    if backend is None or not hasattr(backend, "get_client"):
        return None
    return backend.get_client(write=True)


def _count_with_cache_api(layers: list[Layer], trigger: Layer, petition_id: int, solution: str, used_for: int) -> Usage:
    """The same counters through Django's cache API, for caches other than Redis (one call per layer)."""
    counts = {}
    for layer in layers:
        cache.add(layer.key, 0, layer.window)
        counts[layer.name] = cache.incr(layer.key)
    flag = challenge_flag_key(petition_id)
    was_on = bool(cache.get(flag))
    if counts[trigger.name] >= trigger.limit:
        cache.set(flag, 1, settings.SIGN_CHALLENGE_HOLD)
    first_use = bool(cache.add(solution_key(solution), 1, used_for)) if solution else True
    return Usage(counts, challenge_on=was_on, first_use=first_use)
