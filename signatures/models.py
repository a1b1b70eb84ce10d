from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from .addresses import email_key


class SignatureQuerySet(models.QuerySet):
    def counted(self) -> "SignatureQuerySet":
        """Only confirmed signatures count anywhere."""
        return self.filter(status=Signature.Status.CONFIRMED)

    def claims_to_review(self) -> "SignatureQuerySet":
        """The moderators' review queue: confirmed claims that no machine check could settle, and disputes."""
        return self.filter(
            status=Signature.Status.CONFIRMED,
            verification__in=[Signature.Verification.NEEDS_REVIEW, Signature.Verification.DISPUTED],
        )


class Signature(models.Model):
    """One person's signature on one petition, with the affiliation they claim."""

    class Status(models.TextChoices):
        UNCONFIRMED = "unconfirmed", "Unconfirmed"
        CONFIRMED = "confirmed", "Confirmed"
        WITHDRAWN = "withdrawn", "Withdrawn"
        REJECTED = "rejected", "Rejected"

    class Verification(models.TextChoices):
        NONE = "none", "No claim"
        PENDING = "pending", "Pending"
        VERIFIED = "verified", "Verified"
        NEEDS_REVIEW = "needs_review", "Needs review"
        UNVERIFIED = "unverified", "Unverified"
        DISPUTED = "disputed", "Disputed"
        REJECTED = "rejected", "Claim rejected"

    # No index of its own: every index on signatures starts with the petition (one_signature_per_address too).
    petition = models.ForeignKey(
        "petitions.Petition", on_delete=models.PROTECT, related_name="signatures", db_index=False
    )
    version = models.ForeignKey("petitions.PetitionVersion", on_delete=models.PROTECT, related_name="signatures")
    full_name = models.CharField(max_length=120)
    email = models.EmailField(max_length=254)
    email_key = models.CharField(max_length=254, editable=False)
    affiliation = models.ForeignKey(
        "verification.Affiliation", null=True, blank=True, on_delete=models.PROTECT, related_name="claims"
    )
    role = models.CharField(max_length=120, blank=True)
    organisation = models.CharField(max_length=120, blank=True)
    comment = models.TextField(max_length=1000, blank=True)
    roster_email = models.EmailField(
        max_length=254,
        blank=True,
        help_text="Optional: the address the claimed affiliation has for the signer; a challenge is sent there "
        "if it is on the roster. Never shown.",
    )
    public = models.BooleanField(default=False, help_text="The signer consents to their name being shown.")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.UNCONFIRMED)
    verification = models.CharField(max_length=12, choices=Verification.choices, default=Verification.NONE)
    evidence = models.ForeignKey(
        "verification.Evidence",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The evidence behind the current verification.",
    )
    created_at = models.DateTimeField(default=timezone.now)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    verified_at = models.DateTimeField(null=True, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    objects = SignatureQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["petition", "email_key"], name="one_signature_per_address"),
            models.CheckConstraint(
                condition=models.Q(affiliation__isnull=True, verification="none")
                | (models.Q(affiliation__isnull=False) & ~models.Q(verification="none")),
                name="verification_none_exactly_without_claim",
            ),
        ]
        indexes = [
            # Public lists: confirmed, public signers of a petition, newest confirmation first, keyset by
            # (confirmed_at, id). Partial, so it is the smallest index that answers the list, and no other index
            # yields this order: the planner cannot trade it for a sort, or for a backward walk of the primary
            # key that wades through other petitions' newer rows (tests/signatures/test_list_plans.py).
            models.Index(
                fields=["petition", "confirmed_at", "id"],
                condition=models.Q(status="confirmed", public=True),
                name="signature_public_order",
            ),
            # The same list filtered by one affiliation.
            models.Index(
                fields=["petition", "affiliation", "confirmed_at", "id"],
                condition=models.Q(status="confirmed", public=True),
                name="signature_public_by_claim",
            ),
            models.Index(fields=["petition", "verification"], name="signature_verification"),
            models.Index(fields=["affiliation", "status"], name="signature_claims"),
        ]

    def __str__(self) -> str:
        return f"{self.full_name} on {self.petition_id}"

    def save(self, *args, **kwargs):
        self.email_key = email_key(self.email)
        super().save(*args, **kwargs)

    @property
    def decided_by_moderator(self) -> bool:
        """A moderator's decision stands: automatic runs never overwrite it."""
        return self.verification == self.Verification.REJECTED or (
            self.evidence is not None and self.evidence.decided_by_id is not None
        )

    @property
    def decided_by_person(self) -> bool:
        """A moderator decided, or the roster member named by the claim said "this wasn't me": workers leave it."""
        return self.decided_by_moderator or self.verification == self.Verification.DISPUTED

    @property
    def shown_name(self) -> str:
        """The name the public sees: a verified claim shows the roster's name unless the typed one is compatible."""
        evidence = self.evidence if self.verification == self.Verification.VERIFIED else None
        return (evidence.shown_name if evidence is not None else "") or self.full_name

    def start_claim(self) -> None:
        """A new or changed claim has no verdict yet: `pending` until the workers check it (after
        confirmation); a signature without a claim has verification `none`."""
        self.verification = self.Verification.PENDING if self.affiliation_id else self.Verification.NONE
        self.evidence = None
        self.verified_at = None

    def confirm(self) -> bool:
        """unconfirmed (or withdrawn, when the signer signs again) → confirmed. False if nothing changed."""
        if self.status == self.Status.CONFIRMED:
            return False
        if self.status == self.Status.REJECTED:
            raise ValidationError("A rejected signature cannot be confirmed.")
        self.status = self.Status.CONFIRMED
        self.confirmed_at = timezone.now()
        self.withdrawn_at = None
        if self.affiliation_id and not self.decided_by_moderator:
            self.verification = self.Verification.PENDING
        return True

    def withdraw(self) -> bool:
        if self.status == self.Status.WITHDRAWN:
            return False
        if self.status == self.Status.REJECTED:
            raise ValidationError("A rejected signature cannot be withdrawn.")
        self.status = self.Status.WITHDRAWN
        self.withdrawn_at = timezone.now()
        return True

    def reject(self) -> bool:
        if self.status == self.Status.REJECTED:
            return False
        self.status = self.Status.REJECTED
        return True

    def record_verdict(self, evidence) -> None:
        """The claim's verification becomes `evidence.verdict`, with that evidence behind it.

        The only place a verdict changes: `verified_at` keeps the moment it was first verified and is
        cleared when it stops being verified. The caller (verification.claims) saves and moves the counters.
        """
        if self.affiliation_id is None:
            raise ValidationError("This signature claims no affiliation.")
        was_verified = self.verification == self.Verification.VERIFIED
        self.verification = evidence.verdict
        self.evidence = evidence
        if self.verification != self.Verification.VERIFIED:
            self.verified_at = None
        elif not was_verified:
            self.verified_at = evidence.created_at


class AffiliationTally(models.Model):
    """Per petition and affiliation: confirmed signatures claiming it, and how many are verified.

    Maintained with F() updates in the same transaction as each change, so page views never COUNT.
    """

    petition = models.ForeignKey("petitions.Petition", on_delete=models.CASCADE, related_name="tallies")
    affiliation = models.ForeignKey("verification.Affiliation", on_delete=models.CASCADE, related_name="+")
    claimed = models.PositiveIntegerField(default=0)
    verified = models.PositiveIntegerField(default=0)
    disputed = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["petition", "affiliation"], name="one_tally_per_claim"),
        ]

    def __str__(self) -> str:
        return f"{self.petition_id}/{self.affiliation_id}: {self.verified}/{self.claimed} ({self.disputed} disputed)"


class CountDelta(models.Model):
    """One change to a petition's counters, waiting to be folded into Petition.signature_count and the tallies.

    Confirmations insert these instead of updating the petition's one counter row, so that they never queue
    on that row (the e-petitions lesson); `signatures.counts.fold` adds them up and deletes them, within the
    confirming transaction when nobody else is folding, otherwise in the next fold (seconds later at most).
    `affiliation_id` is a plain number (0: no claim), not a key: the row lives for seconds.
    """

    petition = models.ForeignKey("petitions.Petition", on_delete=models.CASCADE, related_name="+")
    affiliation_id = models.BigIntegerField(default=0)
    confirmed = models.IntegerField(default=0)
    claimed = models.IntegerField(default=0)
    verified = models.IntegerField(default=0)
    disputed = models.IntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.petition_id}/{self.affiliation_id}: {self.confirmed:+} {self.claimed:+} {self.verified:+}"


class ClaimReview(Signature):
    """The moderators' review queue as its own admin page: `Signature.objects.claims_to_review()`."""

    class Meta:
        proxy = True
        verbose_name = "claim to review"
        verbose_name_plural = "claims to review"
