from celery import shared_task

from undersigned.celery import mail_task_options

from .emails import notify_other_teams, send_invitation_email
from .models import Invitation


@shared_task(**mail_task_options())
def send_invitation(invitation_id: int) -> None:
    """Safe to retry: nothing is sent for an invitation revoked, accepted or expired in the meantime."""
    invitation = Invitation.objects.select_related("petition", "invited_by").filter(pk=invitation_id).first()
    if invitation is not None and invitation.state == Invitation.State.PENDING:
        send_invitation_email(invitation)


@shared_task(**mail_task_options())
def notify_affiliation_change(change_id: int) -> None:
    """Tell the moderators and organisers of the other teams' letters; sends nothing twice."""
    notify_other_teams(change_id)
