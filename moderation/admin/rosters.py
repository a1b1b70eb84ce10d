"""Affiliations and their rosters in the panel: roster upload, entries, the import log.

Moderators and organisers see the affiliations their letters offer (name, description, domain policy). The
roster itself, its imports and its domain policy belong to the affiliation's keepers (teams.scope): every
letter offering the affiliation relies on them, so no other team sees or changes them.
"""

import copy

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.utils import quote, unquote
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import BooleanField, Count, Exists, OuterRef, Q, Value
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _

from moderation.decisions import audit
from signatures.models import ClaimReview, Signature
from teams import reach as reaches
from teams.models import Keeper
from teams.roles import add_keeper
from teams.scope import can_keep, kept_affiliations, moderated_affiliations
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


class RosterReviewForm(forms.Form):
    """Go ahead with an upload whose dry run changes verdicts; acknowledging other teams' letters if it reaches them."""

    def __init__(self, *args, others: int = 0, **kwargs):
        super().__init__(*args, **kwargs)
        if others:
            # The roster is shared: whoever imports it says they know other teams' verdicts change too.
            self.fields["understood"] = forms.BooleanField(
                label=_("I understand"),
                help_text=_(
                    "This import changes the verdict of %(count)d claim(s) on other teams' letters (listed above); "
                    "their moderators will be emailed and the change recorded."
                )
                % {"count": others},
            )


class RosterEntryForm(forms.ModelForm):
    """An entry edited by hand: its dry run (the verdicts it changes, per letter) runs as the form is checked;
    if it changes verdicts on other teams' letters, saving needs *I understand*, and the error names them."""

    understood = forms.BooleanField(
        required=False,
        label=_("I understand"),
        help_text=_("Needed when the change alters verdicts on other teams' letters: saving then shows which."),
    )
    user = None  # the editor, set by RosterEntryAdmin.get_form
    verdict_reach: list = []

    class Meta:
        model = RosterEntry
        fields = ("affiliation", "full_name", "email", "handles", "external_id")

    def _post_clean(self):
        super()._post_clean()
        if self.errors or self.instance.affiliation_id is None:
            return
        entry = copy.copy(self.instance)  # the dry run saves a copy, so the instance gets no id from it
        affiliation = entry.affiliation
        self.verdict_reach = reaches.roster_write_reach([affiliation], lambda: rosters.save_entry(entry), self.user)[
            affiliation.pk
        ]
        others = [r for r in self.verdict_reach if not r.own]
        if others and not self.cleaned_data.get("understood"):
            self.add_error(
                "understood",
                _("This change alters verdicts on other teams' letters: %(letters)s. Tick “I understand” to save it.")
                % {"letters": reaches.describe(others)},
            )


class KeeperInline(admin.TabularInline):
    """Who keeps this roster: operators name them (keepers see the list as a field, `keeper_list`)."""

    model = Keeper
    fk_name = "affiliation"
    extra = 0
    fields = ("user", "added_by", "added_at")
    readonly_fields = ("added_by", "added_at")
    verbose_name_plural = "roster keepers (they alone see the roster and change it or the domain policy)"

    def _operator(self, request) -> bool:
        return request.user.is_superuser

    def has_add_permission(self, request, obj=None) -> bool:
        return self._operator(request)

    def has_change_permission(self, request, obj=None) -> bool:
        return self._operator(request)

    def has_delete_permission(self, request, obj=None) -> bool:
        return self._operator(request)

    def has_view_permission(self, request, obj=None) -> bool:
        return self._operator(request)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "user":
            kwargs["queryset"] = get_user_model().objects.filter(is_active=True, is_staff=True).order_by("email")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class DomainPolicyForm(forms.Form):
    """The three fields of the domain policy, changed on their own page after a dry run (AffiliationAdmin)."""

    email_domains = forms.CharField(required=False, max_length=2000, label=_("Email domains"))
    domain_policy = forms.BooleanField(required=False, label=_("An address at these domains is membership"))
    domain_subdomains = forms.BooleanField(required=False, label=_("Subdomains count too"))

    def __init__(self, *args, affiliation: Affiliation, **kwargs):
        super().__init__(*args, **kwargs)
        self.affiliation = affiliation
        for name, field in self.fields.items():
            field.help_text = Affiliation._meta.get_field(name).help_text

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        try:
            data["proposed"] = reaches.proposed_policy(
                self.affiliation, **{name: data[name] for name in reaches.DOMAIN_FIELDS}
            )
        except ValidationError as error:
            if hasattr(error, "error_dict"):
                for field, errors in error.error_dict.items():
                    self.add_error(field if field in self.fields else None, errors)
            else:
                raise
        return data


@admin.register(Affiliation)
class AffiliationAdmin(ModeratedAdmin):
    affiliation_path = "pk"
    inlines = [KeeperInline]
    ordering = ("name",)
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
        "keeper_list",
        "roster",
        "claims",
        "last_import",
        "last_recheck",
    )
    readonly_fields = ("keeper_list", "roster", "claims", "last_import", "last_recheck")
    # Only a roster's keepers see these (the roster's size and imports, claims on every letter offering it).
    KEEPERS_ONLY = ("keeper_list", "roster", "claims", "last_import")
    change_form_template = "admin/verification/affiliation/change_form.html"

    def scope(self, queryset, user):
        """Those the user's letters offer, and those the user keeps."""
        if user.is_superuser:
            return queryset
        return queryset.filter(
            Q(pk__in=moderated_affiliations(user).values("pk")) | Q(pk__in=kept_affiliations(user).values("pk"))
        )

    def get_queryset(self, request):
        queryset = super().get_queryset(request).annotate(entries=Count("roster"))
        if request.user.is_superuser:
            return queryset.annotate(kept=Value(True, output_field=BooleanField()))
        return queryset.annotate(kept=Exists(Keeper.objects.filter(affiliation=OuterRef("pk"), user=request.user)))

    def has_change_permission(self, request, obj=None) -> bool:
        """The domain policy and the roster are the keepers' (and operators') to change, nobody else's."""
        return super().has_change_permission(request, obj) and (obj is None or can_keep(request.user, obj))

    def get_fields(self, request, obj=None):
        fields = list(super().get_fields(request, obj))
        if obj is None or not can_keep(request.user, obj):
            fields = [f for f in fields if f not in self.KEEPERS_ONLY]
        return fields

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            fields.append("slug")  # petitions and signers' claims refer to it
            # Changed on their own page, after a dry run of what the change does to every letter.
            fields.extend(reaches.DOMAIN_FIELDS)
        return fields

    def get_prepopulated_fields(self, request, obj=None):
        return {} if obj is not None else super().get_prepopulated_fields(request, obj)

    def has_upload_permission(self, request, obj=None) -> bool:
        if not request.user.has_perm("verification.add_rosterimport"):
            return False
        return obj is None or can_keep(request.user, obj)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if not change and not request.user.is_superuser:
            add_keeper(obj, request.user, added_by=request.user)  # whoever creates a roster keeps it

    @admin.display(description="roster keepers")
    def keeper_list(self, affiliation: Affiliation) -> str:
        if affiliation.pk is None:
            return "—"
        emails = affiliation.keepers.order_by("user__email").values_list("user__email", flat=True)
        return ", ".join(emails) or "— (operators only)"

    @admin.display(description="roster entries", ordering="entries")
    def roster_size(self, affiliation: Affiliation) -> int | str:
        return affiliation.entries if getattr(affiliation, "kept", False) else "—"

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
        affiliation = self.get_object(request, unquote(object_id))
        can_upload = self.has_upload_permission(request, affiliation)
        extra_context = {
            **(extra_context or {}),
            "can_upload_roster": can_upload,
            "can_keep": self.has_change_permission(request, affiliation),
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def get_urls(self):
        upload = self.admin_site.admin_view(self.roster_upload_view)
        progress = self.admin_site.admin_view(self.roster_import_view)
        domains = self.admin_site.admin_view(self.domain_policy_view)
        return [
            path("<path:object_id>/roster/", upload, name="verification_affiliation_roster"),
            path("<path:object_id>/roster/<int:import_id>/", progress, name="verification_affiliation_roster_import"),
            path("<path:object_id>/domains/", domains, name="verification_affiliation_domains"),
            *super().get_urls(),
        ]

    def domain_policy_view(self, request, object_id):
        """Change the domain policy in two steps: the dry run (claims it changes, per letter), then the change."""
        affiliation = self.get_object(request, unquote(object_id))
        if not self.has_change_permission(request, affiliation):
            raise PermissionDenied
        posted = request.method == "POST"
        initial = {name: getattr(affiliation, name) for name in reaches.DOMAIN_FIELDS}
        form = DomainPolicyForm(request.POST if posted else None, initial=initial, affiliation=affiliation)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": affiliation,
            "title": _("The domain policy of %(name)s") % {"name": affiliation},
            "form": form,
        }
        if posted and form.is_valid():
            proposed = form.cleaned_data["proposed"]
            if "confirm" in request.POST:
                change = reaches.change_domain_policy(affiliation, proposed, request.user)
                if change is None:
                    self.message_user(request, _("Nothing changed."))
                else:
                    self.message_user(
                        request, _("The domain policy changed: its claims are being re-checked."), messages.SUCCESS
                    )
                return redirect(reverse("admin:verification_affiliation_change", args=[quote(affiliation.pk)]))
            reach = reaches.domain_policy_reach(affiliation, proposed, request.user)
            policy = _("on") if proposed.domain_policy else _("off")
            context.update(
                confirming=True,
                reach=reach,
                reach_caption=_("Claims whose verdict the new policy changes, per letter"),
                moved=sum(r.claims for r in reach),
                others_moved=sum(r.claims for r in reach if not r.own),
                proposed_summary=_("New policy: %(policy)s, domains “%(domains)s”.")
                % {"policy": policy, "domains": proposed.email_domains or "—"},
            )
        status = 400 if posted and not form.is_valid() else 200
        return TemplateResponse(request, "admin/verification/affiliation/domain_policy.html", context, status=status)

    def _upload_context(self, request, affiliation, form, reach, **extra) -> dict:
        return {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": affiliation,
            "form": form,
            "recent_imports": affiliation.imports.select_related("imported_by")[:5],
            "reach": reach,
            "reach_caption": _("Letters relying on this roster, and the claims a change to it has re-checked"),
            **extra,
        }

    def roster_upload_view(self, request, object_id):
        """Upload a roster CSV: stored and imported by a worker (all of it, or nothing and every bad line).

        The worker first works out which claims' verdicts the import changes, per letter (a dry run); if any,
        the import waits on its page for a keeper to confirm it (`roster_import_view`). An import that reaches
        other teams' letters is recorded and told when the worker has written it (teams.reach, on
        verification.signals.roster_imported).
        """
        affiliation = self.get_object(request, unquote(object_id))
        if affiliation is None:
            raise Http404
        if not self.has_upload_permission(request, affiliation):
            raise PermissionDenied
        posted = request.method == "POST"
        form = RosterUploadForm(request.POST if posted else None, request.FILES if posted else None)
        if posted and form.is_valid():
            record = rosters.queue_import(
                affiliation, form.cleaned_data["file"], replace=form.cleaned_data["replace"], user=request.user
            )
            replacing = ", replacing the roster" if record.replaced else ""
            audit(request.user, affiliation, f"Uploaded {record.filename} for import #{record.pk}{replacing}.")
            url = reverse("admin:verification_affiliation_roster_import", args=[quote(affiliation.pk), record.pk])
            return redirect(url)
        title = _("Upload the roster of %(affiliation)s") % {"affiliation": affiliation}
        reach = reaches.roster_reach(affiliation, request.user)
        context = self._upload_context(request, affiliation, form, reach, title=title)
        status = 400 if posted else 200
        return TemplateResponse(request, "admin/verification/affiliation/roster_upload.html", context, status=status)

    def roster_import_view(self, request, object_id, import_id: int):
        """One upload's import: its progress while a worker runs it (the page reloads itself, no JavaScript);
        the verdicts it changes, per letter, to confirm or cancel (POST); then what it changed, or every problem
        by line and the form to upload the corrected file."""
        affiliation = self.get_object(request, unquote(object_id))
        if affiliation is None:
            raise Http404
        if not self.has_upload_permission(request, affiliation):
            raise PermissionDenied
        record = get_object_or_404(affiliation.imports.select_related("imported_by", "confirmed_by"), pk=import_id)
        url = reverse("admin:verification_affiliation_roster_import", args=[quote(affiliation.pk), record.pk])
        review, changes, others = None, [], 0
        if record.state == RosterImport.State.REVIEW or record.preview.get("letters"):
            changes = reaches.import_reach(record, request.user)
            others = sum(r.claims for r in changes if not r.own)
        if record.state == RosterImport.State.REVIEW:
            posted = request.method == "POST"
            review = RosterReviewForm(request.POST if posted and "confirm" in request.POST else None, others=others)
            if posted and "cancel" in request.POST:
                if rosters.cancel_upload(record, request.user):
                    audit(request.user, affiliation, f"Cancelled import #{record.pk} of {record.filename}.")
                return redirect(url)
            if posted and review.is_valid():
                if rosters.confirm_upload(record, request.user):
                    audit(
                        request.user,
                        affiliation,
                        f"Confirmed import #{record.pk} of {record.filename}: it changes {record.verdicts_changed} "
                        f"verdict(s), {others} on other teams' letters.",
                    )
                return redirect(url)
        elif request.method == "POST":
            self.message_user(request, _("This import no longer waits for a confirmation."), messages.WARNING)
            return redirect(url)
        problems = record.problems if record.state in (RosterImport.State.FAILED, RosterImport.State.CANCELLED) else []
        count = max(record.problems_count, len(problems))
        # The letters relying on the roster are shown only beside the upload form (not while a worker runs it,
        # nor beside the dry run's own table): counted only then, not on every reload of the progress page.
        shown = not record.in_progress and record.state != RosterImport.State.REVIEW and not changes
        context = self._upload_context(
            request,
            affiliation,
            RosterUploadForm(initial={"replace": record.replaced}),
            reaches.roster_reach(affiliation, request.user) if shown else [],
            title=_("Roster import of %(file)s") % {"file": record.filename},
            record=record,
            review=review,
            changes=changes,
            others_moved=others,
            problems=problems[:MAX_PROBLEMS_SHOWN],
            problems_count=count,
            problems_hidden=max(0, count - MAX_PROBLEMS_SHOWN),
            refresh_seconds=2 if record.in_progress else None,
        )
        status = 400 if review is not None and review.is_bound and not review.is_valid() else 200
        return TemplateResponse(request, "admin/verification/affiliation/roster_import.html", context, status=status)


@admin.register(RosterEntry)
class RosterEntryAdmin(ModeratedAdmin):
    form = RosterEntryForm
    affiliation_path = "affiliation"
    roster_data = True
    list_display = ("full_name", "email", "external_id", "affiliation", "imported_at")
    list_filter = (AffiliationListFilter,)
    search_fields = ("full_name", "email", "external_id", "handles")
    list_select_related = ("affiliation",)
    show_full_result_count = False
    fields = ("affiliation", "full_name", "email", "handles", "external_id", "understood", "imported_at")
    readonly_fields = ("imported_at",)

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            fields.append("affiliation")  # an entry does not move to another roster
        return fields

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "affiliation":
            kwargs["queryset"] = kept_affiliations(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_fields(self, request, obj=None):
        fields = list(super().get_fields(request, obj))
        if obj is not None and not self.has_change_permission(request, obj):
            fields.remove("understood")  # a form field, not one of the entry's: nothing to show read-only
        return fields

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        return type(form.__name__, (form,), {"user": request.user})

    def save_model(self, request, obj, form, change):
        rosters.save_entry(obj, request.user)
        what = "Edited" if change else "Added"
        summary = f"{what} the roster entry “{obj.full_name}”"
        reaches.record_roster_change(obj.affiliation, summary, form.verdict_reach, request.user)
        self.message_user(request, f"{obj.affiliation}'s claims are being re-checked against the changed roster.")

    def get_deleted_objects(self, objs, request):
        """The delete confirmation (one entry, or the bulk action) also lists the verdicts the deletion changes,
        per letter (a dry run), before anyone clicks “Yes, I'm sure”."""
        deleted, model_count, perms_needed, protected = super().get_deleted_objects(objs, request)
        for affiliation, reach in self._deletion_reach(request, [o.pk for o in objs]).items():
            if reach:
                deleted.append(f"Verdicts this changes on letters offering {affiliation}: {reaches.describe(reach)}")
            else:
                deleted.append(f"No claim's verdict changes on the letters offering {affiliation}.")
        return deleted, model_count, perms_needed, protected

    def _deletion_reach(self, request, entry_ids: list[int]) -> dict[Affiliation, list]:
        """The dry run of deleting these entries, once per request (the delete POST checks the deletion with
        `get_deleted_objects`, then deletes: both need it)."""
        kept = request.__dict__.setdefault("_roster_deletion_reach", {})
        key = tuple(sorted(entry_ids))
        if key not in kept:
            kept[key] = self._dry_run_deletion(request, entry_ids)
        return kept[key]

    def _dry_run_deletion(self, request, entry_ids: list[int]) -> dict[Affiliation, list]:
        entries = RosterEntry.objects.filter(pk__in=entry_ids)
        affiliations = list(Affiliation.objects.filter(pk__in=entries.values("affiliation_id")).order_by("name"))
        reach = reaches.roster_write_reach(
            affiliations, lambda: rosters.delete_entries(RosterEntry.objects.filter(pk__in=entry_ids)), request.user
        )
        return {affiliation: reach[affiliation.pk] for affiliation in affiliations}

    def delete_model(self, request, obj):
        self.delete_queryset(request, RosterEntry.objects.filter(pk=obj.pk))

    def delete_queryset(self, request, queryset):
        ids = list(queryset.values_list("pk", flat=True))
        reach = self._deletion_reach(request, ids)
        count = {a.pk: queryset.filter(affiliation=a).count() for a in reach}
        rosters.delete_entries(RosterEntry.objects.filter(pk__in=ids), request.user)
        for affiliation, letters in reach.items():
            summary = f"Deleted {count[affiliation.pk]} roster entr{'y' if count[affiliation.pk] == 1 else 'ies'}"
            reaches.record_roster_change(affiliation, summary, letters, request.user)


@admin.register(RosterImport)
class RosterImportAdmin(ReadOnlyAdmin):
    affiliation_path = "affiliation"
    roster_data = True
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
