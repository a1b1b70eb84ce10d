"""The invitation email, in the product's words and layout (templates/teams/email/): text, and HTML beside it.

It names who invited whom to what, the link and when it expires. The inviter's name is their account's
address, never free text someone typed, so the site's mail cannot relay an attacker's words.
"""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _

from .models import Invitation
from .tokens import token_for


def invitation_url(invitation: Invitation) -> str:
    return f"{settings.SITE_URL}{reverse('accept_invitation', args=[token_for(invitation)])}"


def send_invitation_email(invitation: Invitation) -> None:
    inviter = invitation.invited_by.email if invitation.invited_by else _("The site's operators")
    context = {
        "invitation": invitation,
        "inviter": inviter,
        "role": invitation.role_in_words(),
        "petition": invitation.petition,
        "accept_url": invitation_url(invitation),
        "expires_at": invitation.expires_at,
        "site_url": settings.SITE_URL,
        "login_url": f"{settings.SITE_URL}{reverse('account_login')}",
    }
    if invitation.petition_id is None:
        subject = _("Undersigned: you are invited to organise open letters")
    elif invitation.role == Invitation.Role.ORGANISER:
        subject = _("Undersigned: you are invited to organise “%(title)s”")
    else:
        subject = _("Undersigned: you are invited to moderate “%(title)s”")
    if invitation.petition_id:
        subject %= {"title": " ".join(invitation.petition.title.split())}  # a header holds no line break
    message = EmailMultiAlternatives(
        subject,
        render_to_string("teams/email/invitation.txt", context),
        settings.DEFAULT_FROM_EMAIL,
        [invitation.email],
    )
    message.attach_alternative(render_to_string("teams/email/invitation.html", context), "text/html")
    message.send()
