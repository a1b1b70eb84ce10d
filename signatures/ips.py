"""Client IP addresses are never stored: only keyed hashes (HMAC-SHA256), kept for IP_HASH_RETENTION_DAYS.

A plain hash of an IPv4 address is reversed by trying all four billion; a keyed one cannot be without the
key (IP_HASH_KEY, by default derived from SECRET_KEY). Equal addresses still give equal hashes, which is all
that abuse checks need ("these 40 signatures came from one address", or from one /24 or /48 network).
"""

import hmac
import ipaddress
from hashlib import sha256

from django.conf import settings

# The "range" a network hash stands for: a /24 of IPv4 (one office, one small provider's pool) or a /48 of
# IPv6 (one site's allocation).
IPV4_RANGE = 24
IPV6_RANGE = 48


def _digest(text: str) -> str:
    return hmac.new(settings.IP_HASH_KEY.encode(), text.encode(), sha256).hexdigest()


def ip_hash(ip: str) -> str:
    """The keyed hash of one address ("" for no or an unreadable address)."""
    try:
        address = ipaddress.ip_address(ip.strip())
    except ValueError:
        return ""
    return _digest(f"ip:{address.compressed}")


def ip_range_hash(ip: str) -> str:
    """The keyed hash of the address's network (/24 for IPv4, /48 for IPv6)."""
    try:
        address = ipaddress.ip_address(ip.strip())
    except ValueError:
        return ""
    prefix = IPV4_RANGE if address.version == 4 else IPV6_RANGE
    return _digest(f"net:{ipaddress.ip_network(f'{address}/{prefix}', strict=False).compressed}")
