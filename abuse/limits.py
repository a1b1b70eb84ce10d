"""The layered signing limits, counted in one Redis round trip (a Lua script), e-petitions' RateLimit in spirit.

Each layer is a fixed-window counter: the first hit sets the window's expiry. The same script raises the
petition's "challenge on" flag when its rate crosses SIGN_CHALLENGE_THRESHOLD, and says whether it is up.
With a cache that is not Redis (`make run`: local memory) the same counters go through Django's cache API.
If the cache cannot be reached, nothing is limited and the failure is logged: refusing every signer
because Redis is down would hand the attacker the outage.
"""

import logging
import re
from dataclasses import dataclass, field

from django.conf import settings
from django.core.cache import cache

logger = logging.getLogger(__name__)

_PERIOD = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_RATE = re.compile(r"^(\d+)/(\d*)([smhd])$")

# KEYS: the counters, then the challenge flag (reported as it was before this attempt: the attempt that reaches
# the threshold still passes, the next ones need the challenge). ARGV: each counter's window in seconds, then the
# index (1-based) of the counter that switches the challenge on, its threshold and how long the flag stays up.
_SCRIPT = """
local counts = {}
local n = #KEYS - 1
for i = 1, n do
  local count = redis.call('INCR', KEYS[i])
  if count == 1 then redis.call('EXPIRE', KEYS[i], tonumber(ARGV[i])) end
  counts[i] = count
end
counts[n + 1] = redis.call('EXISTS', KEYS[n + 1])
local trigger = tonumber(ARGV[n + 1])
if trigger > 0 and counts[trigger] >= tonumber(ARGV[n + 2]) then
  redis.call('SET', KEYS[n + 1], '1', 'EX', tonumber(ARGV[n + 3]))
end
return counts
"""


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

    def over(self, layer: Layer) -> bool:
        return self.counts.get(layer.name, 0) > layer.limit


def _key(*parts: object) -> str:
    """A cache key as Django's cache API takes it (the Redis path adds the prefix and version: make_key)."""
    return "abuse:" + ":".join(str(p) for p in parts)


def challenge_flag_key(petition_id: int) -> str:
    return _key("challenge-on", petition_id)


def petition_trigger(petition_id: int) -> Layer:
    return Layer("challenge_rate", _key("petition-rate", petition_id), settings.SIGN_CHALLENGE_THRESHOLD)


def count(layers: list[Layer], petition_id: int) -> Usage:
    """Count one attempt against every layer and the petition's challenge trigger, in one round trip."""
    trigger = petition_trigger(petition_id)
    everything = [*layers, trigger]
    try:
        client = _redis_client()
        if client is not None:
            hold = settings.SIGN_CHALLENGE_HOLD
            keys = [
                cache.make_key(key) for key in [*(layer.key for layer in everything), challenge_flag_key(petition_id)]
            ]
            args = [layer.window for layer in everything] + [len(everything), trigger.limit, hold]
            result = client.eval(_SCRIPT, len(keys), *keys, *args)
            counts = {layer.name: int(n) for layer, n in zip(everything, result, strict=False)}
            return Usage(counts, challenge_on=bool(int(result[-1])))
        return _count_with_cache_api(everything, trigger, petition_id)
    except Exception:  # the cache is down: keep accepting signatures rather than refuse everyone
        logger.exception("rate-limit cache unavailable; signing is not rate-limited")
        return Usage(available=False)


def challenge_is_on(petition_id: int) -> bool:
    """Whether the petition's signing rate has switched the challenge on (one GET; False if the cache is down)."""
    try:
        return bool(cache.get(challenge_flag_key(petition_id)))
    except Exception:
        logger.exception("rate-limit cache unavailable; the challenge is not required")
        return False


def first_use(token_digest: str, window: int) -> bool:
    """True the first time a solved challenge is presented: a solution is good for one signature only."""
    try:
        return bool(cache.add(_key("challenge-used", token_digest), 1, window))
    except Exception:
        logger.exception("rate-limit cache unavailable; challenge reuse is not detected")
        return True


def _redis_client():
    """The redis-py client behind Django's RedisCache, or None for another backend."""
    backend = getattr(cache, "_cache", None)
    if backend is None or not hasattr(backend, "get_client"):
        return None
    return backend.get_client(write=True)


def _count_with_cache_api(layers: list[Layer], trigger: Layer, petition_id: int) -> Usage:
    """The same counters through Django's cache API, for caches other than Redis (one call per layer)."""
    counts = {}
    for layer in layers:
        cache.add(layer.key, 0, layer.window)
        counts[layer.name] = cache.incr(layer.key)
    flag = challenge_flag_key(petition_id)
    was_on = bool(cache.get(flag))
    if counts[trigger.name] >= trigger.limit:
        cache.set(flag, 1, settings.SIGN_CHALLENGE_HOLD)
    return Usage(counts, challenge_on=was_on)
