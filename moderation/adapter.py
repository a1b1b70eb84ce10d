from allauth.account.adapter import DefaultAccountAdapter
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
