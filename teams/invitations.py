"""Invitations, one use case per function, called by every surface (the admin today, the organisers' pages later).

- `invite` checks the inviter may hand out that role (teams.scope.can_invite), stores the invitation and
  queues its email (`send_invitation`, a task taking the id);
- `find` reads the token of an emailed link;
- `accept` gives the role to the account that owns the invited address (the person signs in first if the
  account exists), `accept_with_new_account` creates that account with the password they chose;
- `revoke` withdraws a pending invitation.

Each writes its line in the audit trail (teams.audit). The link carries a signed token (the invitation's id and
its random key, under SECRET_KEY): nothing secret is stored, and a forged or altered link finds nothing.
"""

from datetime import timedelta

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from petitions.models import Petition
from signatures.addresses import AddressError, canonical_address

from . import tasks
from .audit import record
from .models import Invitation, InvitationError
from .roles import add_moderator, add_organiser, make_organiser
from .scope import can_invite, can_manage_invitation
from .tokens import find, token_for

__all__ = ["accept", "accept_with_new_account", "check", "find", "invite", "revoke", "token_for"]


def account_for(email: str):
    """The account that logs in with this address, if there is one."""
    User = get_user_model()
    user = User.objects.filter(email__iexact=email).first()
    if user is None:
        address = EmailAddress.objects.filter(email__iexact=email).select_related("user").first()
        user = address.user if address else None
    return user


def check(email: str, role: str, petition: Petition | None, invited_by) -> str:
    """The canonical address to invite, or InvitationError saying why this invitation cannot be sent."""
    try:
        address = canonical_address(email)
    except AddressError as error:
        raise InvitationError(error.message, code="bad_address") from None
    if role not in Invitation.Role.values:
        raise InvitationError(_("Choose a role: organiser or moderator."), code="bad_role")
    if role == Invitation.Role.MODERATOR and petition is None:
        raise InvitationError(_("A moderator is invited to a letter: choose one."), code="no_letter")
    if not can_invite(invited_by, role, petition):
        raise InvitationError(_("You cannot invite people to this role."), code="forbidden")
    waiting = Invitation.objects.filter(
        email__iexact=address, role=role, petition=petition, accepted_at=None, revoked_at=None
    )
    if waiting.filter(expires_at__gt=timezone.now()).exists():
        raise InvitationError(
            _("%(email)s already has an invitation to this role waiting; revoke it to send a new one.")
            % {"email": address},
            code="duplicate",
        )
    existing = account_for(address)
    if existing is not None and petition is not None and _holds(existing, role, petition):
        role_name = Invitation.Role(role).label.lower()  # in the reader's language, not the stored value
        raise InvitationError(
            _("%(email)s is already %(role)s of this letter.") % {"email": address, "role": role_name}, code="has_role"
        )
    return address


def _holds(user, role: str, petition: Petition) -> bool:
    if role == Invitation.Role.MODERATOR:
        return petition.moderators.filter(pk=user.pk).exists()
    return petition.organisers.filter(user=user).exists()


def invite(email: str, role: str, petition: Petition | None, invited_by) -> Invitation:
    """Invite `email` to `role` (of `petition`, or of the site for an organiser); the email goes out after commit."""
    address = check(email, role, petition, invited_by)
    with transaction.atomic():
        invitation = Invitation.objects.create(
            email=address,
            role=role,
            petition=petition,
            invited_by=invited_by,
            expires_at=timezone.now() + timedelta(seconds=settings.INVITATION_MAX_AGE),
        )
        record(invited_by, invitation, f"Invited {address} as {invitation.role_in_words()}.", added=True)
        tasks.send_invitation.delay_on_commit(invitation.pk)
    return invitation


def _grant(invitation: Invitation, user) -> None:
    """Give `user` what the invitation offers (idempotent: an existing role stays as it is)."""
    if invitation.role == Invitation.Role.MODERATOR:
        add_moderator(invitation.petition, user)
    elif invitation.petition_id:
        add_organiser(invitation.petition, user, added_by=invitation.invited_by)
    else:
        make_organiser(user)


def _locked(invitation: Invitation) -> Invitation:
    """The invitation re-read under a row lock: two clicks at once accept it once."""
    locked = (
        Invitation.objects.select_for_update(of=("self",))
        .select_related("petition", "invited_by")
        .get(pk=invitation.pk)
    )
    locked.refuse_unless_pending()
    return locked


def accept(invitation: Invitation, user) -> Invitation:
    """The signed-in owner of the invited address takes the role."""
    with transaction.atomic():
        invitation = _locked(invitation)
        if not user.is_active or account_for(invitation.email) != user:
            raise InvitationError(
                _("This invitation is for %(email)s: sign in with that address to accept it.")
                % {"email": invitation.email},
                code="wrong_account",
            )
        _grant(invitation, user)
        invitation.accept(user)
        record(user, invitation, f"Accepted the invitation as {invitation.role_in_words()}.")
    return invitation


def accept_with_new_account(invitation: Invitation, password: str):
    """Create the account for the invited address with this password (already validated) and take the role.

    The address is verified: the person proved they read its mail by opening the link.
    """
    with transaction.atomic():
        invitation = _locked(invitation)
        if account_for(invitation.email) is not None:
            raise InvitationError(
                _("An account already uses %(email)s: sign in with it to accept.") % {"email": invitation.email},
                code="has_account",
            )
        User = get_user_model()
        username = invitation.email if len(invitation.email) <= 150 else f"invited-{invitation.key.hex}"
        user = User.objects.create_user(username=username, email=invitation.email, password=password)
        EmailAddress.objects.create(user=user, email=invitation.email, verified=True, primary=True)
        _grant(invitation, user)
        invitation.accept(user)
        record(user, invitation, f"Accepted the invitation as {invitation.role_in_words()}, with a new account.")
    return user


def revoke(invitation: Invitation, by) -> bool:
    """Withdraw a pending invitation (its link stops working). False if it was already revoked."""
    if not can_manage_invitation(by, invitation):
        raise InvitationError(_("You cannot revoke this invitation."), code="forbidden")
    with transaction.atomic():
        invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
        changed = invitation.revoke(by)
        if changed:
            record(by, invitation, f"Revoked the invitation of {invitation.email}.")
    return changed
