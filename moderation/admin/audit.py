"""The audit trail in the moderators' panel: every decision on a claim (evidence) and every re-check run."""

from django.contrib import admin
from django.contrib.admin.utils import quote
from django.db.models import Q
from django.urls import reverse
from django.utils.html import format_html

from teams.scope import moderated_affiliations, moderated_petitions
from verification.models import Evidence, Recheck

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
