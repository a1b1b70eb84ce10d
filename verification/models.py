import re
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone

from signatures.addresses import email_domain, email_key
from signatures.models import Signature

from .names import name_key

_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


def parse_domains(text: str) -> list[str]:
    return [d.strip().lower().lstrip("@") for d in re.split(r"[\s,]+", text) if d.strip()]


def validate_domains(text: str) -> None:
    bad = [d for d in parse_domains(text) if not _DOMAIN.match(d)]
    if bad:
        raise ValidationError(f"Not a domain name: {', '.join(bad)}")


class Affiliation(models.Model):
    """A group a signer may claim to belong to; its roster lists the real members."""

    slug = models.SlugField(max_length=100, unique=True)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    email_domains = models.TextField(
        blank=True,
        validators=[validate_domains],
        help_text="Optional, separated by spaces or commas. A confirmed address at one of these "
        "domains (or their subdomains) verifies a claim.",
    )

    # A new value whenever the roster changes, in the same transaction: workers key their copy of the
    # roster's names on it (verification.matching.roster_names).
    roster_version = models.UUIDField(default=uuid.uuid4, editable=False)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def bump_roster_version(cls, *pks: int) -> None:
        """Workers' copies of the roster's names are stale from now on (see verification.matching.roster_names)."""
        cls.objects.filter(pk__in=pks).update(roster_version=uuid.uuid4())

    def domain_list(self) -> list[str]:
        return parse_domains(self.email_domains)

    def owns_address(self, email: str) -> str | None:
        """The affiliation domain the address belongs to, if any (subdomains count)."""
        domain = email_domain(email)
        for owned in self.domain_list():
            if domain == owned or domain.endswith("." + owned):
                return owned
        return None


class RosterEntryQuerySet(models.QuerySet):
    """Bulk writes move the roster's version too, so no way of changing entries leaves workers a stale copy.

    Re-checking the claims is the job of the door every surface uses, verification.rosters.
    """

    def update(self, **kwargs) -> int:
        with transaction.atomic():
            affected = set(self.values_list("affiliation_id", flat=True).distinct())
            count = super().update(**kwargs)
            Affiliation.bump_roster_version(*affected)
        return count

    def delete(self):
        with transaction.atomic():
            affected = set(self.values_list("affiliation_id", flat=True).distinct())
            deleted = super().delete()
            Affiliation.bump_roster_version(*affected)
        return deleted

    def bulk_create(self, objs, *args, **kwargs):
        with transaction.atomic():
            created = super().bulk_create(objs, *args, **kwargs)
            Affiliation.bump_roster_version(*{entry.affiliation_id for entry in created})
        return created

    def bulk_update(self, objs, fields, *args, **kwargs):
        objs = list(objs)
        with transaction.atomic():
            count = super().bulk_update(objs, fields, *args, **kwargs)
            Affiliation.bump_roster_version(*{entry.affiliation_id for entry in objs})
        return count


class RosterEntry(models.Model):
    """One real member of an affiliation, as imported from the roster CSV."""

    affiliation = models.ForeignKey(Affiliation, on_delete=models.CASCADE, related_name="roster")
    full_name = models.CharField(max_length=200)
    email = models.EmailField(blank=True)
    handles = models.CharField(max_length=1000, blank=True, help_text="Space-separated URLs or @names.")
    external_id = models.CharField(max_length=200, blank=True)
    name_key = models.CharField(max_length=200, editable=False)
    email_key = models.CharField(max_length=254, editable=False, blank=True)
    imported_at = models.DateTimeField(auto_now_add=True)

    objects = RosterEntryQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "roster entries"
        ordering = ["affiliation", "full_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["affiliation", "email_key"],
                condition=~models.Q(email_key=""),
                name="unique_roster_email",
            ),
            models.UniqueConstraint(
                fields=["affiliation", "external_id"],
                condition=~models.Q(external_id=""),
                name="unique_roster_external_id",
            ),
        ]
        indexes = [models.Index(fields=["affiliation", "name_key"])]

    def __str__(self) -> str:
        return self.full_name

    def save(self, *args, **kwargs):
        self.fill_keys()
        with transaction.atomic():
            super().save(*args, **kwargs)
            Affiliation.bump_roster_version(self.affiliation_id)

    def delete(self, *args, **kwargs):
        with transaction.atomic():
            deleted = super().delete(*args, **kwargs)
            Affiliation.bump_roster_version(self.affiliation_id)
        return deleted

    def fill_keys(self) -> None:
        self.name_key = name_key(self.full_name)
        self.email_key = email_key(self.email) if self.email else ""


class RosterImport(models.Model):
    """A record of each roster upload: who, what file, how many rows, and whether it replaced the roster."""

    affiliation = models.ForeignKey(Affiliation, on_delete=models.CASCADE, related_name="imports")
    filename = models.CharField(max_length=255)
    replaced = models.BooleanField(default=False)
    rows = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    removed = models.PositiveIntegerField(default=0)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    imported_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-imported_at"]

    def __str__(self) -> str:
        return f"{self.filename} → {self.affiliation.slug}"


class Evidence(models.Model):
    """Why a claim has the verification it has: one row per decision or review candidate, never edited."""

    class Method(models.TextChoices):
        EMAIL = "email", "Email on roster"
        EMAIL_DOMAIN = "email_domain", "Email at affiliation domain"
        NAME = "name", "Name matches roster"
        NONE = "none", "No roster match"
        MODERATOR = "moderator", "Moderator decision"

    signature = models.ForeignKey("signatures.Signature", on_delete=models.CASCADE, related_name="evidence_trail")
    verdict = models.CharField(max_length=20, choices=Signature.Verification.choices)
    method = models.CharField(max_length=20, choices=Method.choices)
    roster_entry = models.ForeignKey(
        RosterEntry, null=True, blank=True, on_delete=models.SET_NULL, related_name="evidence"
    )
    roster_name = models.CharField(max_length=200, blank=True, help_text="Kept even if the entry is removed.")
    score = models.FloatField(default=0)
    candidates = models.JSONField(
        default=list, blank=True, help_text="For review: the roster entries whose names match, best first."
    )
    detail = models.CharField(max_length=500, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    worker = models.CharField(max_length=200, blank=True, help_text="The task that decided, for automatic runs.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "evidence"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["signature", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.get_method_display()} → {self.verdict}"

    @property
    def decider(self) -> str:
        """Who decided: "moderator <email>" or "worker <task@host (id)>"."""
        if self.decided_by_id:
            return f"moderator {self.decided_by.email or self.decided_by.get_username()}"
        return f"worker {self.worker}" if self.worker else "worker"


class Recheck(models.Model):
    """One request to check claims again (a roster change, the command, a moderator), and its progress.

    The workers add each finished chunk to `done`; `finished_at` is set when it reaches `total`.
    """

    reason = models.CharField(max_length=200)
    affiliation = models.ForeignKey(
        Affiliation, null=True, blank=True, on_delete=models.SET_NULL, related_name="rechecks"
    )
    petition = models.ForeignKey(
        "petitions.Petition", null=True, blank=True, on_delete=models.SET_NULL, related_name="rechecks"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.reason}: {self.progress}"

    @property
    def progress(self) -> str:
        done = min(self.done, self.total)
        percent = 100 if not self.total else done * 100 // self.total
        return f"{done} of {self.total} claims checked ({percent}%)"

    @classmethod
    def advance(cls, pk: int, checked: int) -> None:
        """Called by the workers after each chunk; atomic, so concurrent chunks never lose a count."""
        cls.objects.filter(pk=pk).update(done=models.F("done") + checked)
        cls.objects.filter(pk=pk, finished_at=None, done__gte=models.F("total")).update(finished_at=timezone.now())
