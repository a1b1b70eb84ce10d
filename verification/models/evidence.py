"""The record of every decision on a claim (Evidence) and of every re-check run (Recheck, in chunks)."""

import json

from django.conf import settings
from django.db import connection, models, transaction
from django.utils import timezone

from signatures.models import Signature

from .rosters import Affiliation, RosterEntry


class EvidenceManager(models.Manager):
    def insert_all(self, rows: "list[Evidence]") -> None:
        """Insert these unsaved rows in one statement, giving each its id and created_at (a chunk of claim checks).

        PostgreSQL: the rows travel as one JSON parameter, read back by jsonb_to_recordset, so the cost per row is
        json.dumps's, not a dozen placeholders each that the driver splices into the statement and Django's
        bulk_create compiles field by field; elsewhere bulk_create. Ids come from one sequence in insertion order
        (the rows' order), so the returned ids, sorted, are the rows' ids in order.
        """
        if not rows:
            return
        now = timezone.now()
        for row in rows:
            row.created_at = now
        if connection.vendor != "postgresql":
            self.bulk_create(rows)
            return
        document = json.dumps(
            [
                [n, r.signature_id, r.verdict, r.method, r.roster_entry_id, r.roster_name, r.shown_name, r.score]
                + [r.candidates, r.detail, r.warnings, r.decided_by_id, r.worker]
                for n, r in enumerate(rows)
            ]
        )
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {self.model._meta.db_table} (signature_id, verdict, method, roster_entry_id, "  # noqa: S608
                "roster_name, shown_name, score, candidates, detail, warnings, decided_by_id, worker, created_at) "
                "SELECT (r->>1)::bigint, r->>2, r->>3, (r->>4)::bigint, r->>5, r->>6, (r->>7)::float8, r->8, r->>9, "
                "r->10, (r->>11)::bigint, r->>12, %s FROM jsonb_array_elements(%s::jsonb) AS r "
                "ORDER BY (r->>0)::int RETURNING id",
                [now, document],
            )
            ids = sorted(pk for (pk,) in cursor.fetchall())
        for row, pk in zip(rows, ids, strict=True):
            row.pk = pk
            row._state.adding = False
            row._state.db = self.db


class Evidence(models.Model):
    """Why a claim has the verification it has: one row per decision or review candidate, never edited."""

    class Method(models.TextChoices):
        EMAIL = "email", "Email on roster"
        ROSTER_CHALLENGE = "roster_challenge", "Confirmed at the roster address"
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
    shown_name = models.CharField(
        max_length=200,
        blank=True,
        help_text="For a verified claim, the name shown publicly when it is not the typed one (the roster's).",
    )
    score = models.FloatField(default=0)
    candidates = models.JSONField(
        default=list, blank=True, help_text="For review: the roster entries whose names match, best first."
    )
    detail = models.CharField(max_length=500, blank=True)
    warnings = models.JSONField(
        default=list, blank=True, help_text="What moderators should know: lookalike addresses and their punycode."
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    worker = models.CharField(max_length=200, blank=True, help_text="The task that decided, for automatic runs.")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = EvidenceManager()

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

    The workers add each finished chunk to `done` (once per chunk: RecheckChunk); `finished_at` is set when it
    reaches `total`.
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


class RecheckChunk(models.Model):
    """One task's share of a re-check: its claims, and whether a worker finished them.

    `done` moves once per chunk however often the chunk is delivered (a redelivery after a worker was killed,
    or the sweeper queueing it again), because it moves only in the transaction that marks the chunk done.
    """

    recheck = models.ForeignKey(Recheck, on_delete=models.CASCADE, related_name="chunks")
    signature_ids = models.JSONField()
    queued_at = models.DateTimeField(default=timezone.now)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["done_at", "queued_at"], name="recheck_chunk_unfinished")]

    def __str__(self) -> str:
        return f"re-check {self.recheck_id}, {len(self.signature_ids)} claims ({'done' if self.done_at else 'to do'})"

    @classmethod
    def finish(cls, pk: int) -> bool:
        """Mark the chunk done and count its claims on the re-check, exactly once. False if it already was."""
        with transaction.atomic():
            chunk = cls.objects.select_for_update().filter(pk=pk, done_at=None).first()
            if chunk is None:
                return False
            chunk.done_at = timezone.now()
            chunk.save(update_fields=["done_at"])
            Recheck.advance(chunk.recheck_id, len(chunk.signature_ids))
        return True
