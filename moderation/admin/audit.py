"""The audit trail in the moderators' panel: every action taken in it (who, what, when: the admin's log,
which decisions, transitions, edits, exports and roster imports all write), every decision on a claim
(evidence) and every re-check run."""

from django.contrib import admin
from django.contrib.admin.models import LogEntry
from django.contrib.admin.utils import quote
from django.contrib.contenttypes.models import ContentType
from django.db.models import CharField, Q, QuerySet
from django.db.models.functions import Cast
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html

from petitions.models import Petition
from signatures.models import Signature
from teams.scope import kept_affiliations, moderated_affiliations, moderated_petitions
from verification.models import Affiliation, Evidence, Recheck

from .base import AffiliationListFilter, PetitionListFilter, ReadOnlyAdmin, badge


@admin.register(Evidence)
class EvidenceAdmin(ReadOnlyAdmin):
    """The audit trail of claims: every automatic and moderator decision, newest first."""

    petition_path = "signature__petition"
    list_display = ("created_at", "signer", "petition", "verdict_badge", "method", "roster_name", "score", "decider")
    list_filter = ("method", "verdict", PetitionListFilter)
    search_fields = ("signature__full_name", "roster_name", "decided_by__email")
    list_select_related = ("signature__petition", "decided_by")
    show_full_result_count = False
    ordering = ("-id",)

    @admin.display(description="signer")
    def signer(self, evidence: Evidence) -> str:
        url = reverse("admin:signatures_signature_change", args=[quote(evidence.signature_id)])
        return format_html('<a href="{}">{}</a>', url, evidence.signature.full_name)

    @admin.display(description="verdict", ordering="verdict")
    def verdict_badge(self, evidence: Evidence) -> str:
        return badge(evidence.verdict)

    @admin.display(description="petition")
    def petition(self, evidence: Evidence) -> str:
        return evidence.signature.petition.title

    @admin.display(description="decided by")
    def decider(self, evidence: Evidence) -> str:
        return evidence.decider


@admin.register(Recheck)
class RecheckAdmin(ReadOnlyAdmin):
    """Re-verification runs and their progress: how many of the queued claims the workers have checked."""

    list_display = ("created_at", "reason", "affiliation", "petition", "progress", "finished_at", "requested_by")
    list_select_related = ("affiliation", "petition", "requested_by")
    list_filter = (AffiliationListFilter,)
    fields = list_display
    readonly_fields = list_display

    def scope(self, queryset, user):
        """Runs for an affiliation or a petition the user moderates."""
        if user.is_superuser:
            return queryset
        return queryset.filter(
            Q(affiliation__in=moderated_affiliations(user)) | Q(petition__in=moderated_petitions(user))
        )


def _ids(queryset: QuerySet) -> QuerySet:
    """The primary keys as text, as LogEntry.object_id stores them (a subquery, not a list)."""
    return queryset.annotate(object_key=Cast("pk", output_field=CharField())).values("object_key")


@admin.register(LogEntry)
class AuditTrailAdmin(ReadOnlyAdmin):
    """Who did what, when: every organiser's and moderator's action, newest first.

    A moderator or organiser sees the entries about their own letters, those letters' signatures and the
    affiliations they keep; superusers see all.
    """

    list_display = ("action_time", "who", "about", "what")
    list_filter = ("action_flag", "content_type")
    search_fields = ("object_repr", "change_message", "user__email")
    list_select_related = ("user", "content_type")
    show_full_result_count = False
    ordering = ("-action_time", "-id")
    date_hierarchy = "action_time"

    def has_view_permission(self, request, obj=None) -> bool:
        """Anyone who works in the panel may read the trail of what they are in charge of (scope below)."""
        user = request.user
        return bool(
            user.is_active and user.is_staff and (user.is_superuser or user.has_perm("signatures.view_signature"))
        )

    def has_module_permission(self, request) -> bool:
        return self.has_view_permission(request)

    def scope(self, queryset, user):
        if user.is_superuser:
            return queryset
        petitions = moderated_petitions(user)
        types = ContentType.objects.get_for_models(Petition, Signature, Affiliation, for_concrete_models=False)
        return queryset.filter(
            Q(content_type=types[Petition], object_id__in=_ids(petitions))
            | Q(content_type=types[Signature], object_id__in=_ids(Signature.objects.filter(petition__in=petitions)))
            | Q(content_type=types[Affiliation], object_id__in=_ids(kept_affiliations(user)))
        )

    @admin.display(description="who", ordering="user__email")
    def who(self, entry: LogEntry) -> str:
        return entry.user.email or entry.user.get_username()

    @admin.display(description="about")
    def about(self, entry: LogEntry) -> str:
        label = f"{entry.content_type.name}: {entry.object_repr}" if entry.content_type else entry.object_repr
        try:
            url = entry.get_admin_url()
        except NoReverseMatch:
            url = ""
        return format_html('<a href="{}">{}</a>', url, label) if url else label

    @admin.display(description="what")
    def what(self, entry: LogEntry) -> str:
        return entry.get_change_message() or entry.get_action_flag_display()
