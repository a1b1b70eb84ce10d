from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.internal.ratelimit import get_ip
from django.conf import settings


class ModeratorAccountAdapter(DefaultAccountAdapter):
    """Accounts come by invitation (teams.invitations); open sign-up only if ACCOUNT_OPEN_SIGNUP is on.

    allauth's own emails (password reset and the like) speak in the product's name: the subject prefix is
    ACCOUNT_EMAIL_SUBJECT_PREFIX, and the body's layout templates/account/email/base_message.txt, which gets
    the site's address here (not the request's host, which says "127.0.0.1:8101" behind a proxy).
    """

    def is_open_for_signup(self, request) -> bool:
        return settings.ACCOUNT_OPEN_SIGNUP

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        super().send_mail(template_prefix, email, {"site_url": settings.SITE_URL, **context})

    def _get_login_attempts_cache_key(self, request, **credentials) -> str:
        """Failed logins are counted per account *and* client IP (ACCOUNT_RATE_LIMITS' "key" rate), so someone
        typing a moderator's address with wrong passwords locks out only themselves, not the moderator; the
        per-IP rate still slows one client trying many accounts. The IP is the one allauth trusts behind
        proxies (ALLAUTH_TRUSTED_PROXY_COUNT / ALLAUTH_TRUSTED_CLIENT_IP_HEADER), IPv6 truncated to its /64."""
        return f"{super()._get_login_attempts_cache_key(request, **credentials)}:{get_ip(request)}"
