"""IP ranges without keeping IP addresses: the /24 (IPv4) or /64 (IPv6) a client is in, as a keyed hash.

The key derives from SECRET_KEY, so the database alone cannot be turned back into ranges by hashing all
2^24 IPv4 prefixes; the same range always gives the same hash, which is all grouping and invalidation need.
"""

import hashlib
import hmac
import ipaddress
from functools import lru_cache

from django.conf import settings

IPV4_PREFIX = 24
IPV6_PREFIX = 64

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def parse_ip(text: str) -> Address | None:
    """The client address from a header or REMOTE_ADDR; None when it is missing or malformed."""
    try:
        address = ipaddress.ip_address((text or "").strip())
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


def range_of(address: Address) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    prefix = IPV4_PREFIX if address.version == 4 else IPV6_PREFIX
    return ipaddress.ip_network(f"{address}/{prefix}", strict=False)


def range_key(address: Address | None) -> str:
    """32 hex digits naming the client's range; "" when the address is unknown."""
    if address is None:
        return ""
    key = _derived_key(b"undersigned abuse ranges\0", settings.SECRET_KEY)
    return hmac.new(key, str(range_of(address)).encode(), hashlib.sha256).hexdigest()[:32]


@lru_cache(maxsize=8)
def _derived_key(purpose: bytes, secret: str) -> bytes:
    """The HMAC key for `purpose`, derived from SECRET_KEY: once per process and secret, not at every signing."""
    return hashlib.sha256(purpose + secret.encode()).digest()


def range_label(network_hash: str) -> str:
    """How moderators see a range: a short, stable label (the hash's start), never the addresses."""
    return f"range {network_hash[:8]}" if network_hash else "unknown range"


def range_key_from_text(text: str) -> str:
    """What a moderator types to name a range: an IP in it, the range in CIDR, or a label/hash from a flag.

    ValueError when it is none of these.
    """
    text = text.strip().lower().removeprefix("range").strip()
    if len(text) == 32 and all(c in "0123456789abcdef" for c in text):
        return text
    try:
        network = ipaddress.ip_network(text, strict=False)
    except ValueError:
        raise ValueError("Enter an IP address, a range such as 203.0.113.0/24, or a range label from a flag.")
    return range_key(network.network_address)


def address_key(address: Address | None) -> str:
    """One client address as a keyed hash: what the per-IP counters are keyed on (no raw IP even in Redis)."""
    if address is None:
        return "unknown"
    key = _derived_key(b"undersigned abuse addresses\0", settings.SECRET_KEY)
    return hmac.new(key, str(address).encode(), hashlib.sha256).hexdigest()[:32]
