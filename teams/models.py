"""The roles that are not a group (who organises which letter, who keeps which affiliation's roster) and the
invitations that hand them out.

Each is a row with who granted it and when (the audit trail names the same), rather than a bare
many-to-many, so a team's history can be told. Moderators stay in `Petition.moderators` (petitions app).
"""

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class Organiser(models.Model):
    """This user owns this letter: edits and publishes it, invites its team, sees its signers."""

    petition = models.ForeignKey("petitions.Petition", on_delete=models.CASCADE, related_name="organisers")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="organising")
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("organiser")
        verbose_name_plural = _("organisers")
        constraints = [models.UniqueConstraint(fields=["petition", "user"], name="one_organiser_row_per_letter")]

    def __str__(self) -> str:
        return f"{self.user} organises {self.petition}"


class Keeper(models.Model):
    """This user keeps this affiliation's roster and domain policy (every letter offering it relies on them)."""

    affiliation = models.ForeignKey("verification.Affiliation", on_delete=models.CASCADE, related_name="keepers")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="keeping")
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("roster keeper")
        verbose_name_plural = _("roster keepers")
        constraints = [models.UniqueConstraint(fields=["affiliation", "user"], name="one_keeper_row_per_roster")]

    def __str__(self) -> str:
        return f"{self.user} keeps {self.affiliation}"


class InvitationError(ValidationError):
    """An invitation that cannot be used: its `code` says why (unknown, expired, revoked, used, forbidden)."""


class Invitation(models.Model):
    """An emailed invitation to take a role: organiser (of the site, or of one letter) or moderator of a letter.

    The link carries a signed token (teams.invitations.token_for); the row holds no secret. Its state moves
    only through `accept` and `revoke`, each guarded; an expired invitation is never accepted.
    """

    class Role(models.TextChoices):
        ORGANISER = "organiser", _("Organiser")
        MODERATOR = "moderator", _("Moderator")

    class State(models.TextChoices):
        PENDING = "pending", _("Waiting for an answer")
        ACCEPTED = "accepted", _("Accepted")
        REVOKED = "revoked", _("Revoked")
        EXPIRED = "expired", _("Expired")

    email = models.EmailField(max_length=254)
    role = models.CharField(max_length=20, choices=Role.choices)
    petition = models.ForeignKey(
        "petitions.Petition",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="invitations",
        help_text=_("The letter to organise or moderate. Empty: an organiser of the site, who starts their own."),
    )
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="invitations_sent"
    )
    # Part of the signed token: a new row (even reusing an id after a restore) never accepts an old link.
    key = models.UUIDField(default=uuid.uuid4, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(role="organiser") | models.Q(petition__isnull=False),
                name="a_moderator_is_invited_to_a_letter",
            ),
            models.CheckConstraint(
                condition=models.Q(accepted_at__isnull=True) | models.Q(revoked_at__isnull=True),
                name="an_invitation_is_accepted_or_revoked_not_both",
            ),
        ]
        indexes = [models.Index(fields=["email"])]

    def __str__(self) -> str:
        where = f" of {self.petition}" if self.petition_id else ""
        return f"{self.get_role_display()}{where} → {self.email}"

    @property
    def state(self) -> str:
        if self.accepted_at:
            return self.State.ACCEPTED
        if self.revoked_at:
            return self.State.REVOKED
        if timezone.now() >= self.expires_at:
            return self.State.EXPIRED
        return self.State.PENDING

    def role_in_words(self) -> str:
        """The role offered, for pages, emails and the audit trail."""
        if self.petition_id is None:
            return gettext("organiser (you can start your own letters)")
        if self.role == self.Role.ORGANISER:
            return gettext("organiser of “%(title)s”") % {"title": self.petition.title}
        return gettext("moderator of “%(title)s”") % {"title": self.petition.title}

    def get_state_display(self) -> str:
        return self.State(self.state).label

    def refuse_unless_pending(self) -> None:
        """Raise InvitationError (code = the state) unless this invitation can still be accepted."""
        messages = {
            self.State.ACCEPTED: _("This invitation has already been used. Sign in instead."),
            self.State.REVOKED: _("This invitation was withdrawn by the person who sent it."),
            self.State.EXPIRED: _("This invitation has expired. Ask the person who sent it for a new one."),
        }
        if self.state != self.State.PENDING:
            raise InvitationError(messages[self.state], code=self.state)

    def accept(self, user) -> None:
        """pending → accepted by `user` (the caller grants the role in the same transaction)."""
        self.refuse_unless_pending()
        self.accepted_at = timezone.now()
        self.accepted_by = user
        self.save(update_fields=["accepted_at", "accepted_by"])

    def revoke(self, by) -> bool:
        """pending or expired → revoked. False if already revoked; an accepted invitation cannot be revoked."""
        if self.revoked_at:
            return False
        if self.accepted_at:
            raise InvitationError(
                _("This invitation has already been accepted; remove the person from the letter instead."),
                code=self.State.ACCEPTED,
            )
        self.revoked_at = timezone.now()
        self.revoked_by = by
        self.save(update_fields=["revoked_at", "revoked_by"])
        return True


class AffiliationChange(models.Model):
    """A change to an affiliation's roster or domain policy that reaches the letters of other teams.

    Recorded with how many claims it put back to the workers on each letter (`reach`, {petition id: claims}),
    so those letters' moderators can be told (task `notify_affiliation_change`) and anyone can see later who
    changed what that moved their verdicts.
    """

    class Kind(models.TextChoices):
        DOMAIN_POLICY = "domain_policy", _("Domain policy")
        ROSTER = "roster", _("Roster")

    affiliation = models.ForeignKey("verification.Affiliation", on_delete=models.CASCADE, related_name="changes")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    summary = models.CharField(max_length=500)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="affiliation_changes"
    )
    # {petition id (str): claims on it the change puts back to the workers} for the letters of other teams.
    reach = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)
    notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("change reaching other teams")
        verbose_name_plural = _("changes reaching other teams")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of {self.affiliation}: {self.summary}"

    def mark_notified(self) -> bool:
        """The other teams were told; False if they already had been (a retried task sends nothing twice)."""
        if self.notified_at:
            return False
        self.notified_at = timezone.now()
        self.save(update_fields=["notified_at"])
        return True
