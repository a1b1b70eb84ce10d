"""The teams' emails, in the product's words and layout (templates/teams/email/): the invitation (text, and
HTML beside it), and the notice to other teams that a shared roster or domain policy changed.

It names who invited whom to what, the link and when it expires. The inviter's name is their account's
address, never free text someone typed, so the site's mail cannot relay an attacker's words.
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives, send_mail
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _

from petitions.models import Petition

from .models import AffiliationChange, Invitation
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


def notify_other_teams(change_id: int) -> int:
    """Email each moderator and organiser of the letters a change reached (not the person who made it).

    One email per person, naming their letters and how many of each one's claims are being re-checked. Sends
    nothing for a change already notified; returns how many emails went out.
    """
    with transaction.atomic():
        change = (
            AffiliationChange.objects.select_for_update(of=("self",))
            .select_related("affiliation", "changed_by")
            .filter(pk=change_id)
            .first()
        )
        if change is None or change.notified_at:
            return 0
        counts = {int(pk): claims for pk, claims in change.reach.items()}
        letters = Petition.objects.in_bulk(counts.keys())
        people: dict[str, list[tuple[Petition, int]]] = {}
        User = get_user_model()
        for petition in letters.values():
            team = User.objects.filter(
                Q(moderated_petitions=petition) | Q(organising__petition=petition), is_active=True
            ).distinct()
            for user in team:
                if change.changed_by_id != user.pk and user.email:
                    people.setdefault(user.email, []).append((petition, counts[petition.pk]))
        changer = change.changed_by.email if change.changed_by else _("someone since removed")
        for email, theirs in sorted(people.items()):
            context = {
                "change": change,
                "changer": changer,
                "letters": sorted(theirs, key=lambda item: item[0].title),
                "site_url": settings.SITE_URL,
                "queue_url": f"{settings.SITE_URL}{reverse('admin:signatures_claimreview_changelist')}",
            }
            subject = _("Undersigned: the %(what)s of “%(affiliation)s” changed; your claims are re-checked") % {
                "what": change.get_kind_display().lower(),
                "affiliation": " ".join(change.affiliation.name.split()),
            }
            send_mail(
                subject,
                render_to_string("teams/email/affiliation_changed.txt", context),
                settings.DEFAULT_FROM_EMAIL,
                [email],
            )
        change.mark_notified()
    return len(people)
