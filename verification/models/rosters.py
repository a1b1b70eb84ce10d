"""Affiliations, their rosters (the real members) and the record of each roster import."""

import re
import uuid
from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils.translation import gettext_lazy as _

from signatures.addresses import AddressError, canonical_domain, domain_matches, domain_policy_problems, email_key

from ..names import name_key


def parse_domains(text: str) -> list[str]:
    return [d.strip().lstrip("@") for d in re.split(r"[\s,]+", text) if d.strip()]


def validate_domains(text: str) -> None:
    """Each domain must be one that can prove membership: no free mail, no public suffix (maintained lists)."""
    problems = [problem for domain in parse_domains(text) for problem in domain_policy_problems(domain)]
    if problems:
        raise ValidationError(problems)


class Affiliation(models.Model):
    """A group a signer may claim to belong to; its roster lists the real members."""

    slug = models.SlugField(max_length=100, unique=True)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    email_domains = models.TextField(
        blank=True,
        validators=[validate_domains],
        help_text=_(
            "Optional, separated by spaces or commas. They count as evidence only if the policy below says "
            "that an address at these domains is membership. Free-mail and public-suffix domains are refused."
        ),
    )
    domain_policy = models.BooleanField(
        default=False,
        verbose_name=_("an address at these domains is membership"),
        help_text=_(
            "Tick only if everyone with an address at these domains belongs (think of ex-members, "
            "contractors and alumni addresses first). Off, the domains verify nobody."
        ),
    )
    domain_subdomains = models.BooleanField(
        default=False,
        verbose_name=_("subdomains count too"),
        help_text=_("Also addresses at subdomains (e.g. alumni.example.org for example.org)."),
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

    def clean(self) -> None:
        """Domains are stored in their canonical (punycode, lower-case) form, so they compare as mail is delivered."""
        canonical = []
        for domain in parse_domains(self.email_domains):
            try:
                canonical.append(canonical_domain(domain))
            except AddressError as error:
                raise ValidationError({"email_domains": error.message})
        self.email_domains = " ".join(dict.fromkeys(canonical))
        if self.domain_policy and not canonical:
            raise ValidationError({"domain_policy": _("Name at least one domain for the policy to apply to.")})

    def domain_list(self) -> list[str]:
        return parse_domains(self.email_domains)

    def membership_domain(self, address_domain: str) -> str | None:
        """The policy domain this address domain falls under, if the domain policy is on (else None)."""
        if not self.domain_policy:
            return None
        for owned in self.domain_list():
            if domain_matches(address_domain, owned, subdomains=self.domain_subdomains):
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

    # No index of its own: the (affiliation, name_key) index below serves every lookup by affiliation, and one
    # index fewer is one fewer to write per entry of a big import.
    affiliation = models.ForeignKey(Affiliation, on_delete=models.CASCADE, related_name="roster", db_index=False)
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
    """A record of each roster upload: who, what file, how many rows, whether it replaced the roster, and how
    far its import has gone. Uploads are imported by a worker: `queued` → `reading` → `previewing` (a dry run:
    the verdicts the new roster would change, per letter) → `review` when it changes any, until a keeper
    confirms (`queued` again, then `writing`) or cancels it; else straight on to `writing` → `done`. `failed`
    keeps the problems by line."""

    class State(models.TextChoices):
        QUEUED = "queued", _("Waiting for a worker")
        READING = "reading", _("Checking the rows")
        PREVIEWING = "previewing", _("Working out which verdicts it changes")
        REVIEW = "review", _("Waiting for your confirmation")
        WRITING = "writing", _("Writing the roster")
        DONE = "done", _("Imported")
        FAILED = "failed", _("Nothing imported")
        CANCELLED = "cancelled", _("Cancelled: nothing imported")

    # A worker has it (or will): the page reloads itself, the sweeper queues it again if its progress stops.
    WORKING = (State.QUEUED, State.READING, State.PREVIEWING, State.WRITING)

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
    state = models.CharField(max_length=10, choices=State.choices, default=State.DONE)
    # The uploaded file while it waits for its import (default storage under MEDIA_ROOT); deleted afterwards.
    upload = models.FileField(upload_to="roster-imports/", blank=True)
    lines_read = models.PositiveIntegerField(default=0)
    problems = models.JSONField(default=list, blank=True, help_text="The first problems found, by line.")
    problems_count = models.PositiveIntegerField(default=0)
    progress_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # The dry run's outcome (verification.preview): {"roster_version", "created", "updated", "removed",
    # "checked_at", "letters": {petition id: {"changed", "verified", "unverified"}}}; kept once written.
    preview = models.JSONField(default=dict, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-imported_at", "-id"]

    def __str__(self) -> str:
        return f"{self.filename} → {self.affiliation.slug}"

    @property
    def in_progress(self) -> bool:
        return self.state in self.WORKING

    @property
    def checked_at(self):
        """When the dry run counted the verdicts it changes (None before it ran)."""
        checked = self.preview.get("checked_at")
        return datetime.fromisoformat(checked) if checked else None

    @property
    def verdicts_changed(self) -> int:
        """How many claims' verdicts the dry run found the import changes (0 before it ran)."""
        return sum(letter["changed"] for letter in self.preview.get("letters", {}).values())
