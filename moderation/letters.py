"""An organiser's use cases on a letter, taken the same way from every surface (the workspace's buttons and
the list's actions): each runs the petition's named transition, then adds the audit-trail entry naming who."""

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils.translation import gettext_lazy as _

from petitions.models import Petition

from .decisions import audit


class Transition(models.TextChoices):
    PUBLISH = "publish", _("Publish")
    CLOSE = "close", _("Close")
    ARCHIVE = "archive", _("Archive")


# What the audit trail says after each transition (English, like the admin's own history).
DONE = {
    Transition.PUBLISH: "Published the petition.",
    Transition.CLOSE: "Closed the petition.",
    Transition.ARCHIVE: "Archived the petition.",
}


def change_state(petition: Petition, transition: str, user) -> None:
    """Publish, close or archive `petition` for `user`; the model's guard refuses with a ValidationError."""
    if transition not in Transition.values:
        raise ValidationError(f"Unknown transition {transition!r}.")
    with transaction.atomic():
        getattr(petition, transition)()
        audit(user, petition, DONE[Transition(transition)])


def available(petition: Petition) -> list[Transition]:
    """The buttons a letter in this state offers (the model still guards each one)."""
    return {
        Petition.Status.DRAFT: [Transition.PUBLISH],
        Petition.Status.OPEN: [Transition.CLOSE],
        Petition.Status.CLOSED: [Transition.ARCHIVE],
    }.get(petition.status, [])
