"""Affiliations and their rosters in the moderator panel: roster upload, entries, the import log.

Moderators see the affiliations offered by the petitions they moderate. A roster belongs to its affiliation,
so a moderator of one petition keeps the roster every petition offering that affiliation relies on.
"""

from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.admin.utils import quote, unquote
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _

from moderation.decisions import audit
from moderation.scope import moderated_affiliations
from signatures.models import ClaimReview, Signature
from verification import rosters
from verification.models import Affiliation, RosterEntry, RosterImport

from .base import AffiliationListFilter, ModeratedAdmin, ReadOnlyAdmin, changelist_url

MAX_PROBLEMS_SHOWN = 1000


class RosterUploadForm(forms.Form):
    file = forms.FileField(
        label="Roster CSV",
        help_text=f"UTF-8 CSV with a header row: {', '.join(rosters.COLUMNS)} (only full_name is required).",
    )
    replace = forms.BooleanField(
        required=False,
        label="Replace the roster",
        help_text="Remove the entries that are not in this file. Unticked, the file's rows are added or updated.",
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        limit = settings.ROSTER_UPLOAD_MAX_MB
        if upload.size > limit * 1024 * 1024:
            raise forms.ValidationError(
                f"The file is {upload.size / 1024 / 1024:.1f} MB; a roster may be at most {limit:g} MB."
            )
        return upload


@admin.register(Affiliation)
class AffiliationAdmin(ModeratedAdmin):
    affiliation_path = "pk"
    list_display = ("name", "slug", "email_domains", "roster_size")
    search_fields = ("name", "slug", "email_domains")
    prepopulated_fields = {"slug": ("name",)}
    fields = (
        "name",
        "slug",
        "description",
        "email_domains",
        "domain_policy",
        "domain_subdomains",
        "roster",
        "claims",
        "last_import",
        "last_recheck",
    )
    readonly_fields = ("roster", "claims", "last_import", "last_recheck")
    change_form_template = "admin/verification/affiliation/change_form.html"

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(entries=Count("roster"))

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            fields.append("slug")  # petitions and signers' claims refer to it
        return fields

    def get_prepopulated_fields(self, request, obj=None):
        return {} if obj is not None else super().get_prepopulated_fields(request, obj)

    def has_upload_permission(self, request, obj=None) -> bool:
        return request.user.has_perm("verification.add_rosterimport")

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and {"email_domains", "domain_policy", "domain_subdomains"} & set(form.changed_data):
            rosters.domains_changed(obj, request.user)
            self.message_user(request, "The domain policy changed: this affiliation's claims are being re-checked.")

    @admin.display(description="roster entries", ordering="entries")
    def roster_size(self, affiliation: Affiliation) -> int:
        return affiliation.entries

    @admin.display(description="roster")
    def roster(self, affiliation: Affiliation) -> str:
        if affiliation.pk is None:
            return "—"
        return format_html(
            '<a href="{}">{} entries</a>',
            changelist_url(RosterEntry, affiliation=affiliation.pk),
            affiliation.roster.count(),
        )

    @admin.display(description="claims (all petitions)")
    def claims(self, affiliation: Affiliation) -> str:
        """Re-verification progress: how many confirmed claims the workers have still to check."""
        if affiliation.pk is None:
            return "—"
        state = (
            Signature.objects.counted()
            .filter(affiliation=affiliation)
            .aggregate(
                confirmed=Count("pk"),
                pending=Count("pk", filter=Q(verification=Signature.Verification.PENDING)),
                review=Count("pk", filter=Q(verification=Signature.Verification.NEEDS_REVIEW)),
                verified=Count("pk", filter=Q(verification=Signature.Verification.VERIFIED)),
            )
        )
        return format_html(
            '{} confirmed: {} verified, <strong>{} still being checked</strong>, <a href="{}">{} to review</a>',
            state["confirmed"],
            state["verified"],
            state["pending"],
            changelist_url(ClaimReview, affiliation=affiliation.pk),
            state["review"],
        )

    @admin.display(description="last re-check")
    def last_recheck(self, affiliation: Affiliation) -> str:
        latest = affiliation.rechecks.first() if affiliation.pk else None
        if latest is None:
            return "—"
        url = reverse("admin:verification_recheck_change", args=[quote(latest.pk)])
        state = "finished" if latest.finished_at else "running"
        return format_html('<a href="{}">{}</a>: {} ({})', url, latest.reason, latest.progress, state)

    @admin.display(description="last roster import")
    def last_import(self, affiliation: Affiliation) -> str:
        latest = affiliation.imports.select_related("imported_by").first() if affiliation.pk else None
        if latest is None:
            return "—"
        who = latest.imported_by.email if latest.imported_by else "someone since removed"
        if latest.state != RosterImport.State.DONE:
            return format_html(
                '<a href="{}">{}</a> on {} UTC by {}: <a href="{}">{}</a>',
                changelist_url(RosterImport, affiliation=affiliation.pk),
                latest.filename,
                latest.imported_at.strftime("%Y-%m-%d %H:%M"),
                who,
                reverse("admin:verification_affiliation_roster_import", args=[quote(affiliation.pk), latest.pk]),
                latest.get_state_display(),
            )
        return format_html(
            '<a href="{}">{}</a> on {} UTC by {}: {} created, {} updated, {} removed',
            changelist_url(RosterImport, affiliation=affiliation.pk),
            latest.filename,
            latest.imported_at.strftime("%Y-%m-%d %H:%M"),
            who,
            latest.created,
            latest.updated,
            latest.removed,
        )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {**(extra_context or {}), "can_upload_roster": self.has_upload_permission(request)}
        return super().change_view(request, object_id, form_url, extra_context)

    def get_urls(self):
        upload = self.admin_site.admin_view(self.roster_upload_view)
        progress = self.admin_site.admin_view(self.roster_import_view)
        return [
            path("<path:object_id>/roster/", upload, name="verification_affiliation_roster"),
            path("<path:object_id>/roster/<int:import_id>/", progress, name="verification_affiliation_roster_import"),
            *super().get_urls(),
        ]

    def _upload_context(self, request, affiliation, form, **extra) -> dict:
        return {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": affiliation,
            "form": form,
            "recent_imports": affiliation.imports.select_related("imported_by")[:5],
            **extra,
        }

    def roster_upload_view(self, request, object_id):
        """Upload a roster CSV: stored and imported by a worker (all of it, or nothing and every bad line)."""
        affiliation = self.get_object(request, unquote(object_id))
        if affiliation is None:
            raise Http404
        if not self.has_upload_permission(request, affiliation):
            raise PermissionDenied
        posted = request.method == "POST"
        form = RosterUploadForm(request.POST, request.FILES) if posted else RosterUploadForm()
        if posted and form.is_valid():
            record = rosters.queue_import(
                affiliation, form.cleaned_data["file"], replace=form.cleaned_data["replace"], user=request.user
            )
            replacing = _(", replacing the roster") if record.replaced else ""
            audit(request.user, affiliation, f"Uploaded {record.filename} for import #{record.pk}{replacing}.")
            url = reverse("admin:verification_affiliation_roster_import", args=[quote(affiliation.pk), record.pk])
            return redirect(url)
        context = self._upload_context(
            request, affiliation, form, title=_("Upload the roster of %(affiliation)s") % {"affiliation": affiliation}
        )
        status = 400 if posted else 200
        return TemplateResponse(request, "admin/verification/affiliation/roster_upload.html", context, status=status)

    def roster_import_view(self, request, object_id, import_id: int):
        """One upload's import: its progress while a worker runs it (the page reloads itself, no JavaScript),
        then what it changed, or every problem by line and the form to upload the corrected file."""
        affiliation = self.get_object(request, unquote(object_id))
        if affiliation is None:
            raise Http404
        if not self.has_upload_permission(request, affiliation):
            raise PermissionDenied
        record = get_object_or_404(affiliation.imports.select_related("imported_by"), pk=import_id)
        problems = record.problems if record.state == RosterImport.State.FAILED else []
        context = self._upload_context(
            request,
            affiliation,
            RosterUploadForm(initial={"replace": record.replaced}),
            title=_("Roster import of %(file)s") % {"file": record.filename},
            record=record,
            problems=problems[:MAX_PROBLEMS_SHOWN],
            problems_count=max(record.problems_count, len(problems)),
            problems_hidden=max(0, max(record.problems_count, len(problems)) - MAX_PROBLEMS_SHOWN),
            refresh_seconds=2 if record.in_progress else None,
        )
        return TemplateResponse(request, "admin/verification/affiliation/roster_import.html", context)


@admin.register(RosterEntry)
class RosterEntryAdmin(ModeratedAdmin):
    affiliation_path = "affiliation"
    list_display = ("full_name", "email", "external_id", "affiliation", "imported_at")
    list_filter = (AffiliationListFilter,)
    search_fields = ("full_name", "email", "external_id", "handles")
    list_select_related = ("affiliation",)
    show_full_result_count = False
    fields = ("affiliation", "full_name", "email", "handles", "external_id", "imported_at")
    readonly_fields = ("imported_at",)

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            fields.append("affiliation")  # an entry does not move to another roster
        return fields

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "affiliation":
            kwargs["queryset"] = moderated_affiliations(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        rosters.save_entry(obj, request.user)
        self.message_user(request, f"{obj.affiliation}'s claims are being re-checked against the changed roster.")

    def delete_model(self, request, obj):
        rosters.delete_entries(RosterEntry.objects.filter(pk=obj.pk), request.user)

    def delete_queryset(self, request, queryset):
        rosters.delete_entries(queryset, request.user)


@admin.register(RosterImport)
class RosterImportAdmin(ReadOnlyAdmin):
    affiliation_path = "affiliation"
    list_display = (
        "imported_at",
        "affiliation",
        "filename",
        "state",
        "replaced",
        "rows",
        "created",
        "updated",
        "removed",
        "by",
    )
    list_filter = (AffiliationListFilter, "state", "replaced")
    exclude = ("upload",)
    list_select_related = ("affiliation", "imported_by")
    search_fields = ("filename",)

    @admin.display(description="imported by", ordering="imported_by__email")
    def by(self, record: RosterImport) -> str:
        return record.imported_by.email if record.imported_by else "—"
