from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.internal.ratelimit import get_ip


class ModeratorAccountAdapter(DefaultAccountAdapter):
    """Accounts exist only for moderators, whom a superuser creates; nobody signs up."""

    def is_open_for_signup(self, request) -> bool:
        return False

    def _get_login_attempts_cache_key(self, request, **credentials) -> str:
        """Failed logins are counted per account *and* client IP (ACCOUNT_RATE_LIMITS' "key" rate), so someone
        typing a moderator's address with wrong passwords locks out only themselves, not the moderator; the
        per-IP rate still slows one client trying many accounts. The IP is the one allauth trusts behind
        proxies (ALLAUTH_TRUSTED_PROXY_COUNT / ALLAUTH_TRUSTED_CLIENT_IP_HEADER), IPv6 truncated to its /64."""
        return f"{super()._get_login_attempts_cache_key(request, **credentials)}:{get_ip(request)}"
