"""Roster challenges: a one-time question sent to a roster entry's own address ("was this you?")."""

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone

from petitions.models import Petition
from signatures.models import Signature
from undersigned.lookups import AnyOf

from .rosters import RosterEntry


class RosterChallengeQuerySet(models.QuerySet):
    def open(self) -> "RosterChallengeQuerySet":
        return self.filter(state=RosterChallenge.State.OPEN)

    def sent_to_entry_today(self, entry_id: int) -> int:
        """How many challenges this entry was sent in the last 24 hours, on any petition (the daily cap)."""
        return self.sent_to_entries_today([entry_id]).get(entry_id, 0)

    def sent_to_entries_today(self, entry_ids: list[int]) -> dict[int, int]:
        """The same for several entries, in one grouped query (entries sent none are left out)."""
        since = timezone.now() - timedelta(days=1)
        recent = self.filter(AnyOf(models.F("roster_entry_id"), entry_ids), created_at__gte=since)
        return dict(recent.values_list("roster_entry_id").annotate(sent=models.Count("pk")).order_by())


class RosterChallenge(models.Model):
    """Proof by the address the group already knows: its owner confirms the claim, or says it wasn't them.

    At most one open challenge per roster entry and petition (a database constraint), so nobody can use
    the product to flood a member's mailbox; a daily cap per entry across petitions is checked when opening.
    """

    class State(models.TextChoices):
        OPEN = "open", "Waiting for the member"
        CONFIRMED = "confirmed", "Member confirmed"
        DENIED = "denied", "Member said it wasn't them"
        EXPIRED = "expired", "Expired unanswered"
        CANCELLED = "cancelled", "Cancelled"

    signature = models.ForeignKey(Signature, on_delete=models.CASCADE, related_name="challenges")
    # Denormalised from the signature so that the database can hold one open challenge per entry and petition.
    petition = models.ForeignKey(Petition, on_delete=models.CASCADE, related_name="+")
    roster_entry = models.ForeignKey(RosterEntry, on_delete=models.CASCADE, related_name="challenges")
    address = models.EmailField(max_length=254, help_text="The roster address it was sent to.")
    state = models.CharField(max_length=10, choices=State.choices, default=State.OPEN)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The moderator who asked for it; empty when the workers sent it.",
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    # Held by the sender emailing it until then (verification.emails.send_challenges), so two never send it twice.
    leased_until = models.DateTimeField(null=True, blank=True, editable=False)
    answered_at = models.DateTimeField(null=True, blank=True)

    objects = RosterChallengeQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["roster_entry", "petition"],
                condition=models.Q(state="open"),
                name="one_open_challenge_per_entry_and_petition",
            ),
        ]
        indexes = [
            models.Index(fields=["state", "expires_at"], name="challenge_expiry"),
            models.Index(fields=["roster_entry", "created_at"], name="challenge_daily_cap"),
        ]

    def __str__(self) -> str:
        return f"challenge #{self.pk} to {self.roster_entry_id} for signature {self.signature_id}: {self.state}"

    @property
    def is_open(self) -> bool:
        return self.state == self.State.OPEN and timezone.now() < self.expires_at

    def answer(self, confirmed: bool) -> None:
        """open → confirmed or denied. The caller checks `is_open` under the row lock and records the verdict."""
        self.state = self.State.CONFIRMED if confirmed else self.State.DENIED
        self.answered_at = timezone.now()

    def close(self, state: str) -> None:
        """open → expired or cancelled (nobody answered, or the claim was settled another way)."""
        self.state = state
