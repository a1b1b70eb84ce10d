import hashlib

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .markdown import render_markdown


class Petition(models.Model):
    """A text people sign. Its text is versioned once it is published."""

    class Kind(models.TextChoices):
        LETTER = "letter", _("Open letter")
        PETITION = "petition", _("Petition")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")
        ARCHIVED = "archived", _("Archived")

    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=100, unique=True)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.LETTER)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    summary = models.CharField(max_length=500, blank=True)
    body = models.TextField(help_text="Markdown. Raw HTML is removed when rendered.")
    affiliations = models.ManyToManyField(
        "verification.Affiliation",
        blank=True,
        related_name="petitions",
        help_text="The affiliations signers may claim.",
    )
    moderators = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="moderated_petitions")
    goal = models.PositiveIntegerField(null=True, blank=True)
    closes_at = models.DateTimeField(null=True, blank=True)
    anonymise_after_close_months = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MaxValueValidator(120)],
        help_text="Remove the signers' names, addresses and comments this many months after the letter closes "
        "(the counts stay). Empty: never.",
    )
    current_version = models.ForeignKey(
        "PetitionVersion", null=True, blank=True, on_delete=models.PROTECT, related_name="+", editable=False
    )
    # Maintained by signatures.counts in the same transaction as each status change.
    signature_count = models.PositiveIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(null=True, blank=True, editable=False)
    closed_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-published_at", "-created_at"]
        indexes = [models.Index(fields=["status", "-published_at"])]

    # Written only by F() updates (signatures.counts) and record_version(), never from a stale copy.
    MAINTAINED_FIELDS = ("signature_count", "current_version")

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs):
        if not self._state.adding and kwargs.get("update_fields") is None:
            kwargs["update_fields"] = [
                f.name for f in self._meta.concrete_fields if not f.primary_key and f.name not in self.MAINTAINED_FIELDS
            ]
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("petitions:detail", args=[self.slug])

    @property
    def body_html(self) -> str:
        return render_markdown(self.body)

    @property
    def is_public(self) -> bool:
        return self.status != self.Status.DRAFT

    @cached_property
    def offered_affiliations(self) -> models.QuerySet:
        """The affiliations a signer of this petition may claim (the signing form's choices), as a query built
        once per instance: each form takes a copy (`.all()`), cheaper than building the filter again, and the
        signing POST reads its petition from a copy kept a few seconds (front.kept_petitions)."""
        return self.affiliations.all()

    @property
    def accepts_signatures(self) -> bool:
        """Open and not past its closing time. The signing statement asks the database the same in SQL
        (signatures.upsert, `accepting`): change both together (tests/front/test_signing.py holds them to it)."""
        return self.status == self.Status.OPEN and (self.closes_at is None or timezone.now() < self.closes_at)

    def ended_at(self, now=None):
        """When it stopped accepting signatures (as of `now`): marked closed, or its closing time passed; None
        while it is open or a draft."""
        if self.status == self.Status.DRAFT:
            return None
        now = now or timezone.now()
        passed = self.closes_at if self.closes_at and self.closes_at <= now else None
        return min((t for t in (self.closed_at, passed) if t), default=None)

    def publish(self) -> None:
        """draft → open: the text as published becomes version 1."""
        if self.status != self.Status.DRAFT:
            raise ValidationError(f"Only a draft can be published; this petition is {self.status}.")
        if not self.title.strip() or not self.body.strip():
            # Version 1 is what the first signers sign: it cannot be an empty page.
            raise ValidationError(gettext("A letter needs a title and a text before it can be published."))
        with transaction.atomic():
            self.status = self.Status.OPEN
            self.published_at = timezone.now()
            self.save(update_fields=["status", "published_at"])
            self.record_version()

    def close(self) -> None:
        if self.status != self.Status.OPEN:
            raise ValidationError(f"Only an open petition can be closed; this petition is {self.status}.")
        self.status = self.Status.CLOSED
        self.closed_at = timezone.now()
        self.save(update_fields=["status", "closed_at"])

    def archive(self) -> None:
        if self.status != self.Status.CLOSED:
            raise ValidationError(f"Only a closed petition can be archived; this petition is {self.status}.")
        self.status = self.Status.ARCHIVED
        self.save(update_fields=["status"])

    def record_version(self) -> "PetitionVersion | None":
        """Freeze the current text as a new version if it differs from the last one.

        Drafts have no versions: nobody can sign them, so their edits are free.
        """
        if self.status == self.Status.DRAFT:
            return None
        with transaction.atomic():
            latest = self.versions.select_for_update().order_by("-number").first()
            if latest and latest.has_text(self.title, self.summary, self.body):
                return latest
            version = self.versions.create(
                number=(latest.number + 1) if latest else 1,
                title=self.title,
                summary=self.summary,
                body=self.body,
            )
            self.current_version = version
            self.save(update_fields=["current_version"])
            return version


class PetitionVersion(models.Model):
    """The exact text as it stood when people signed it."""

    petition = models.ForeignKey(Petition, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    summary = models.CharField(max_length=500, blank=True)
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["petition", "number"]
        constraints = [
            models.UniqueConstraint(fields=["petition", "number"], name="unique_version_number"),
        ]

    def __str__(self) -> str:
        return f"{self.petition.slug} v{self.number}"

    @property
    def body_html(self) -> str:
        return render_markdown(self.body)

    def has_text(self, title: str, summary: str, body: str) -> bool:
        return (self.title, self.summary, self.body) == (title, summary, body)

    @property
    def hashed_text(self) -> str:
        """The exact text the printed copy's SHA-256 covers, so anyone can recompute it from the text alone.

        Title, summary and body (the Markdown as written), joined by one blank line each ("\n\n"), with
        CRLF and CR line ends turned into LF (browsers send CRLF; the hash should not depend on the editor).
        """
        text = "\n\n".join([self.title, self.summary, self.body])
        return text.replace("\r\n", "\n").replace("\r", "\n")

    @property
    def sha256(self) -> str:
        """SHA-256 (hex) of the UTF-8 bytes of `hashed_text`: `curl …/letter.txt | sha256sum` shows the same."""
        return hashlib.sha256(self.hashed_text.encode("utf-8")).hexdigest()
