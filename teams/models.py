"""The roles that are not a group: who organises which letter, and who keeps which affiliation's roster.

Each is a row with who granted it and when (the audit trail names the same), rather than a bare
many-to-many, so a team's history can be told. Moderators stay in `Petition.moderators` (petitions app).
"""

from django.conf import settings
from django.db import models
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
