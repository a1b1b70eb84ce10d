"""What the defences against fake signatures keep: operators' domain rules, where signatures came from (as keyed
hashes), parked submissions, trending flags and bulk invalidations with the signatures each one touched."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from signatures import upsert


class Domain(models.Model):
    """An operator's rule for one email domain (and its subdomains), after e-petitions' `Domain`.

    Allowed: never domain-limited (a university everyone signs from). Throttled: a much lower per-petition
    limit. Blocked: every submission is parked, silently.
    """

    class State(models.TextChoices):
        ALLOWED = "allowed", _("Allowed (no domain limit)")
        THROTTLED = "throttled", _("Throttled (low domain limit)")
        BLOCKED = "blocked", _("Blocked (submissions parked)")

    name = models.CharField(
        _("domain"), max_length=253, unique=True, help_text=_("Lower case, punycode; covers its subdomains.")
    )
    state = models.CharField(_("state"), max_length=10, choices=State.choices)
    note = models.CharField(_("note"), max_length=300, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("email domain rule")
        verbose_name_plural = _("email domain rules")

    def __str__(self) -> str:
        return f"{self.name} ({self.get_state_display()})"

    def clean(self) -> None:
        from .domains import normalise_domain

        try:
            self.name = normalise_domain(self.name)
        except ValueError as error:
            raise ValidationError({"name": str(error)})


class ChallengeSetting(models.Model):
    """A petition on which every signer must pass the proof-of-work challenge, whatever its signing rate."""

    petition = models.OneToOneField("petitions.Petition", on_delete=models.CASCADE, related_name="+")
    always = models.BooleanField(_("always require the challenge"), default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("challenge setting")
        verbose_name_plural = _("challenge settings")

    def __str__(self) -> str:
        return str(self.petition)


class Source(models.Model):
    """Where a stored signature came from, as much as range grouping needs: never the IP itself.

    `network` is an HMAC (SECRET_KEY-derived key) of the /24 or /64 the client was in; `domain` is the
    address's domain. Purged after ABUSE_RETENTION_DAYS.
    """

    signature = models.OneToOneField("signatures.Signature", on_delete=models.CASCADE, related_name="+")
    # No index of its own: both indexes below start with it, and every signing would write all three.
    petition = models.ForeignKey("petitions.Petition", on_delete=models.CASCADE, related_name="+", db_index=False)
    network = models.CharField(max_length=32, blank=True)
    domain = models.CharField(max_length=253)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["petition", "created_at"], name="abuse_source_recent"),
            models.Index(fields=["petition", "network"], name="abuse_source_network"),
        ]

    def __str__(self) -> str:
        return f"signature {self.signature_id}: {self.domain}"

    @classmethod
    def alongside(cls, petition_id: int, network: str, domain: str) -> upsert.Alongside:
        """This source, to be written by the signing's own statement unless the signature has one already (a known
        address keeps the one it was first stored with): signatures.upsert. A statement of its own, in a
        transaction around both, cost two more round trips (BEGIN, COMMIT) and a third of the signing's database CPU."""
        return upsert.Alongside(
            cls, {"petition_id": petition_id, "network": network, "domain": domain, "created_at": timezone.now()}
        )


class Parked(models.Model):
    """A submission the defences held back: stored so moderators see it, never emailed, never counted.

    It is not a Signature (whose statuses the spec fixes): the real owner of the address can still sign.
    """

    class Reason(models.TextChoices):
        RATE_ADDRESS = "rate_address", _("Too many from this IP for this address")
        RATE_EMAIL = "rate_email", _("Too many for this address")
        RATE_DOMAIN = "rate_domain", _("Too many from this email domain")
        RATE_RANGE = "rate_range", _("Too many from this IP range")
        RATE_PETITION = "rate_petition", _("Petition burst limit")
        BLOCKED_DOMAIN = "blocked_domain", _("Blocked email domain")
        HONEYPOT = "honeypot", _("Filled the hidden field")

    petition = models.ForeignKey("petitions.Petition", on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(_("reason"), max_length=16, choices=Reason.choices)
    full_name = models.CharField(_("name"), max_length=120)
    email = models.EmailField(_("email"), max_length=254)
    domain = models.CharField(_("domain"), max_length=253)
    affiliation = models.ForeignKey(
        "verification.Affiliation", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    network = models.CharField(_("IP range (keyed hash)"), max_length=32, blank=True)
    created_at = models.DateTimeField(_("when"), default=timezone.now)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("parked submission")
        verbose_name_plural = _("parked submissions")
        indexes = [models.Index(fields=["petition", "created_at"], name="abuse_parked_recent")]

    def __str__(self) -> str:
        return f"{self.full_name} ({self.get_reason_display()})"


class Flag(models.Model):
    """A burst `flag_trending` saw on a petition: many signatures from one range, domain or claim in a window."""

    class Kind(models.TextChoices):
        RANGE = "range", _("IP range")
        DOMAIN = "domain", _("Email domain")
        AFFILIATION = "affiliation", _("Affiliation claim")

    petition = models.ForeignKey("petitions.Petition", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    key = models.CharField(_("what"), max_length=253, help_text=_("A domain, an affiliation slug or a range label."))
    signatures = models.PositiveIntegerField(_("signatures in the window"), default=0)
    parked = models.PositiveIntegerField(_("parked in the window"), default=0)
    first_seen = models.DateTimeField(_("first seen"), default=timezone.now)
    last_seen = models.DateTimeField(_("last seen"), default=timezone.now)

    class Meta:
        ordering = ["-last_seen"]
        verbose_name = _("trending flag")
        verbose_name_plural = _("trending flags")
        constraints = [models.UniqueConstraint(fields=["petition", "kind", "key"], name="one_flag_per_burst_key")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.key}: {self.signatures}"


class Invalidation(models.Model):
    """A moderator's bulk invalidation of a petition's signatures by domain, IP range and/or time window.

    The evidence of who did what: criteria, the dry-run count shown, progress, and (InvalidatedSignature)
    exactly which signatures it rejected, so `undo` reinstates those and no others.
    """

    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        UNDOING = "undoing", _("Being undone")
        UNDONE = "undone", _("Undone")

    petition = models.ForeignKey("petitions.Petition", on_delete=models.PROTECT, related_name="+")
    domain = models.CharField(_("email domain"), max_length=253, blank=True)
    network = models.CharField(_("IP range (keyed hash)"), max_length=32, blank=True)
    affiliation = models.ForeignKey(
        "verification.Affiliation",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("claimed affiliation"),
    )
    since = models.DateTimeField(_("signed from"), null=True, blank=True)
    until = models.DateTimeField(_("signed before"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=300)
    matched = models.PositiveIntegerField(_("dry-run count"), default=0)
    done = models.PositiveIntegerField(_("checked so far"), default=0)
    invalidated = models.PositiveIntegerField(_("invalidated"), default=0)
    reinstated = models.PositiveIntegerField(_("reinstated by the undo"), default=0)
    state = models.CharField(_("state"), max_length=8, choices=State.choices, default=State.QUEUED)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("requested"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    undone_at = models.DateTimeField(_("undone"), null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("bulk invalidation")
        verbose_name_plural = _("bulk invalidations")
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(
                    domain="", network="", affiliation__isnull=True, since__isnull=True, until__isnull=True
                ),
                name="invalidation_has_criteria",
            )
        ]

    def __str__(self) -> str:
        return f"#{self.pk}: {self.criteria}"

    @property
    def criteria(self) -> str:
        parts = []
        if self.domain:
            parts.append(_("domain %(domain)s") % {"domain": self.domain})
        if self.network:
            parts.append(_("IP range %(label)s") % {"label": self.network[:12]})
        if self.affiliation_id:
            parts.append(_("claiming %(affiliation)s") % {"affiliation": self.affiliation})
        if self.since:
            parts.append(_("from %(when)s") % {"when": self.since.isoformat(timespec="minutes")})
        if self.until:
            parts.append(_("before %(when)s") % {"when": self.until.isoformat(timespec="minutes")})
        return ", ".join(str(part) for part in parts)

    def start(self) -> bool:
        """queued → running (a retried task finds it running and carries on). False if already past it."""
        if self.state == self.State.QUEUED:
            self.state = self.State.RUNNING
            return True
        return self.state == self.State.RUNNING

    def finish(self) -> None:
        if self.state != self.State.RUNNING:
            raise ValidationError("Only a running invalidation finishes.")
        self.state = self.State.DONE
        self.finished_at = timezone.now()

    def begin_undo(self, moderator) -> bool:
        """done → undoing. False if it is already being undone or undone (a second click)."""
        if self.state in (self.State.UNDOING, self.State.UNDONE):
            return False
        if self.state != self.State.DONE:
            raise ValidationError(_("An invalidation can be undone once it has finished."))
        self.state = self.State.UNDOING
        self.undone_by = moderator
        return True

    def finish_undo(self) -> None:
        if self.state != self.State.UNDOING:
            raise ValidationError("Only an invalidation being undone finishes its undo.")
        self.state = self.State.UNDONE
        self.undone_at = timezone.now()


class InvalidatedSignature(models.Model):
    """One signature a bulk invalidation rejected: what its undo reinstates."""

    invalidation = models.ForeignKey(Invalidation, on_delete=models.CASCADE, related_name="signatures")
    signature = models.ForeignKey("signatures.Signature", on_delete=models.CASCADE, related_name="+")
    reinstated = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["invalidation", "signature"], name="one_row_per_invalidated_signature")
        ]

    def __str__(self) -> str:
        return f"signature {self.signature_id} in invalidation {self.invalidation_id}"
