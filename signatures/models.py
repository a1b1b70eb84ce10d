import json

from django.core.exceptions import ValidationError
from django.db import connection, models
from django.db.models import Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .addresses import email_key


class SignatureQuerySet(models.QuerySet):
    def counted(self) -> "SignatureQuerySet":
        """Only confirmed signatures count anywhere."""
        return self.filter(status=Signature.Status.CONFIRMED)

    def claims_to_review(self) -> "SignatureQuerySet":
        """The moderators' review queue: confirmed claims that no machine check could settle, and disputes
        (not those of anonymised signers: nothing is left to decide on)."""
        return self.filter(
            anonymised_at__isnull=True,
            status=Signature.Status.CONFIRMED,
            verification__in=[Signature.Verification.NEEDS_REVIEW, Signature.Verification.DISPUTED],
        )

    def store_verdicts(self, signatures: "list[Signature]") -> None:
        """Save the verification, evidence and verified_at that `record_verdict` gave each of these signatures,
        in one statement (a chunk of claim checks). PostgreSQL: an UPDATE joined with the rows' VALUES; elsewhere
        Django's bulk_update (its CASE per row and field costs milliseconds per row in Python)."""
        if not signatures:
            return
        if connection.vendor != "postgresql":
            self.model.objects.bulk_update(signatures, ["verification", "evidence", "verified_at"])
            return
        table = self.model._meta.db_table
        # One JSON parameter rather than four placeholders a row, which the driver would splice in one by one.
        document = json.dumps(
            [
                [s.pk, s.verification, s.evidence_id, s.verified_at.isoformat() if s.verified_at else None]
                for s in signatures
            ]
        )
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} AS s SET verification = v->>1, evidence_id = (v->>2)::bigint, "  # noqa: S608
                "verified_at = (v->>3)::timestamptz FROM jsonb_array_elements(%s::jsonb) AS v "
                "WHERE s.id = (v->>0)::bigint",
                [document],
            )

    def anonymise(self, now=None) -> int:
        """Blank every personal field of these signatures in one UPDATE; how many were still named.

        Status, claim and verification stay, so every counter and tally (and `recount`) is unchanged. The
        email key becomes "anonymised-<id>": unique, so the address may sign the petition again afresh.
        """
        return self.filter(anonymised_at__isnull=True).update(
            **Signature.ANONYMOUS,
            email_key=Concat(Value(Signature.ANONYMOUS_KEY_PREFIX), Cast("pk", models.CharField())),
            anonymised_at=now or timezone.now(),
        )


class Signature(models.Model):
    """One person's signature on one petition, with the affiliation they claim."""

    class Status(models.TextChoices):
        UNCONFIRMED = "unconfirmed", _("Unconfirmed")
        CONFIRMED = "confirmed", _("Confirmed")
        WITHDRAWN = "withdrawn", _("Withdrawn")
        REJECTED = "rejected", _("Rejected")

    class Verification(models.TextChoices):
        NONE = "none", _("No claim")
        PENDING = "pending", _("Pending")
        VERIFIED = "verified", _("Verified")
        NEEDS_REVIEW = "needs_review", _("Needs review")
        UNVERIFIED = "unverified", _("Unverified")
        DISPUTED = "disputed", _("Disputed")
        REJECTED = "rejected", _("Claim rejected")

    # No index of its own: every index on signatures starts with the petition (one_signature_per_address too).
    petition = models.ForeignKey(
        "petitions.Petition", on_delete=models.PROTECT, related_name="signatures", db_index=False
    )
    version = models.ForeignKey("petitions.PetitionVersion", on_delete=models.PROTECT, related_name="signatures")
    full_name = models.CharField(max_length=120)
    email = models.EmailField(max_length=254)
    email_key = models.CharField(max_length=254, editable=False)
    # No index of its own: `signature_claims` (affiliation, status) starts with it, and every signing would
    # write both.
    affiliation = models.ForeignKey(
        "verification.Affiliation",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="claims",
        db_index=False,
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
    language = models.CharField(
        max_length=8,
        default="en",
        help_text="The language of the page the signer signed on: their emails, and the roster challenge sent "
        "about their claim, are written in it.",
    )
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
    rejected_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Data lifetimes (signatures.lifetimes): the purge and the withdraw link's fingerprint go by the last time
    # the signer submitted the form for this signature.
    submitted_at = models.DateTimeField(
        default=timezone.now, help_text="When the signer last submitted the form for this signature."
    )
    anonymised_at = models.DateTimeField(
        null=True, blank=True, editable=False, help_text="When the signer's personal data was removed."
    )

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
            # The claims owed a check (verification.backlog.owed_checks) are among these: found by every
            # `check_owed_claims` run without reading the letters' other signatures.
            models.Index(
                fields=["id"],
                condition=models.Q(status="confirmed", verification="pending"),
                name="signature_owed_check",
            ),
        ]

    # What an anonymised signature keeps of its signer: nothing.
    ANONYMOUS = {
        "full_name": "",
        "email": "",
        "roster_email": "",
        "role": "",
        "organisation": "",
        "comment": "",
        "public": False,
    }
    ANONYMOUS_KEY_PREFIX = "anonymised-"

    def __str__(self) -> str:
        if self.anonymised_at:
            return f"anonymised signature #{self.pk} on {self.petition_id}"
        return f"{self.full_name} on {self.petition_id}"

    def save(self, *args, **kwargs):
        if self.anonymised_at is None:
            self.email_key = email_key(self.email)
        super().save(*args, **kwargs)

    @property
    def anonymised(self) -> bool:
        return self.anonymised_at is not None

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
        if self.anonymised:
            raise ValidationError("An erased signature cannot be confirmed.")
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

    def erase(self) -> bool:
        """The signer asked to be forgotten: a counted signature stops counting (as a withdrawal would), and
        the caller anonymises it at once. False if it was erased already."""
        if self.anonymised:
            return False
        if self.status == self.Status.CONFIRMED:
            self.status = self.Status.WITHDRAWN
            self.withdrawn_at = timezone.now()
        return True

    def reject(self) -> bool:
        if self.status == self.Status.REJECTED:
            return False
        self.status = self.Status.REJECTED
        self.rejected_at = timezone.now()
        return True

    def reinstate(self) -> bool:
        """rejected → the status it had before a moderator rejected it: the undo of `reject`.

        Normally confirmed (spam is judged on counted signatures); one rejected before its signer confirmed
        goes back to unconfirmed, and one the signer had withdrawn back to withdrawn, so an undo never counts
        an address nobody confirmed. The claim's verification is left as it was. False if not rejected but
        already confirmed (a second click); any other status, or an anonymised signature, is refused: there is
        nothing (or no one) to undo.
        """
        if self.status == self.Status.CONFIRMED:
            return False
        if self.status != self.Status.REJECTED:
            raise ValidationError(f"Only a rejected signature can be reinstated; this one is {self.status}.")
        if self.anonymised:
            raise ValidationError(
                "This rejected signature has been anonymised (its data lifetime ran out): there is no signer left "
                "to reinstate."
            )
        if self.withdrawn_at is not None:
            self.status = self.Status.WITHDRAWN
        elif self.confirmed_at is not None:
            self.status = self.Status.CONFIRMED
        else:
            self.status = self.Status.UNCONFIRMED
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


class Erasure(models.Model):
    """That personal data was removed, and why: the petition, the moment, the kind and how many signatures.

    It never says whose: the record of an erasure must not keep what was erased.
    """

    class Kind(models.TextChoices):
        SIGNER_REQUEST = "signer_request", _("Erased at the signer's request")
        UNCONFIRMED_PURGED = "unconfirmed_purged", _("Unconfirmed, purged")
        WITHDRAWN_ANONYMISED = "withdrawn_anonymised", _("Withdrawn, anonymised")
        REJECTED_ANONYMISED = "rejected_anonymised", _("Rejected, anonymised")
        CLOSED_ANONYMISED = "closed_anonymised", _("Letter closed, signers anonymised")

    petition = models.ForeignKey("petitions.Petition", on_delete=models.CASCADE, related_name="erasures")
    kind = models.CharField(max_length=24, choices=Kind.choices)
    rows = models.PositiveIntegerField(default=1)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["petition", "-at"], name="erasure_by_petition")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.rows} on {self.petition_id} at {self.at:%Y-%m-%d %H:%M}"


class ClaimReview(Signature):
    """The moderators' review queue as its own admin page: `Signature.objects.claims_to_review()`."""

    class Meta:
        proxy = True
        verbose_name = "claim to review"
        verbose_name_plural = "claims to review"


class OutgoingConfirmation(models.Model):
    """The outbox: a confirmation email owed to a signer, written in the same transaction as the signing.

    The row is deleted once the mail server accepted the email, so whatever is left here after an outage of
    the broker, the worker or the mail server is exactly what is still owed; the sweeper
    (`send_unsent_confirmations`, every SWEEP_EVERY seconds) sends it. One row per signature: signing again
    while one is owed moves `requested_at` and sends one email, built from the signature as it is then.
    """

    signature = models.OneToOneField(
        Signature, primary_key=True, on_delete=models.CASCADE, related_name="outgoing_confirmation"
    )
    requested_at = models.DateTimeField(default=timezone.now)
    # A sender leases the row until then (a worker killed mid-send lets it go at this time); nobody else sends it.
    leased_until = models.DateTimeField(null=True, blank=True)
    # Refusals of this address by the mail server (an unreachable server counts nothing: outages are not the
    # signer's fault); after OUTBOX_MAX_REFUSALS the row stays, unsent, for an operator to look at.
    refusals = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True)

    class Meta:
        indexes = [models.Index(fields=["requested_at"], name="outbox_requested_at")]

    def __str__(self) -> str:
        return f"confirmation owed to signature {self.signature_id} since {self.requested_at:%Y-%m-%d %H:%M:%S}"
