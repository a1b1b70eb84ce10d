"""The token in an invitation link: the invitation's id and random key, signed with SECRET_KEY.

Nothing secret is stored; a forged, altered or truncated link finds nothing. Expiry and single use are the
invitation row's business (Invitation.state), so a revoked or used link fails even though it is well signed.
"""

from django.core import signing
from django.utils.translation import gettext as _

from .models import Invitation, InvitationError

SALT = "teams.invitation"
MAX_TOKEN_LENGTH = 300


def token_for(invitation: Invitation) -> str:
    return signing.dumps([invitation.pk, invitation.key.hex], salt=SALT, compress=False)


def find(token: str) -> Invitation:
    """The invitation this link was made for (whatever its state), or InvitationError(code="unknown")."""
    unknown = InvitationError(_("This invitation link is not valid. Check that it was copied whole."), code="unknown")
    if not token or len(token) > MAX_TOKEN_LENGTH:
        raise unknown
    try:
        pk, key = signing.loads(token, salt=SALT)
    except (signing.BadSignature, TypeError, ValueError):
        raise unknown from None
    invitation = Invitation.objects.select_related("petition", "invited_by").filter(pk=pk).first()
    if invitation is None or invitation.key.hex != key:
        raise unknown
    return invitation
