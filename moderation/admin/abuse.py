"""Bot resistance in the moderators' panel: trending flags and parked submissions (read-only, scoped to the
petitions one moderates), bulk invalidation (dry run → confirm → progress → undo; POST only), and the
operators' domain rules and forced challenges (superusers only)."""

from datetime import timedelta
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.utils import quote, unquote
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from abuse import invalidation as invalidations
from abuse import tasks
from abuse.domains import normalise_domain
from abuse.models import ChallengeSetting, Domain, Flag, Invalidation, Parked
from abuse.networks import range_key_from_text, range_label
from moderation.decisions import audit
from teams.scope import moderated_affiliations, moderated_petitions

from .base import PetitionListFilter, ReadOnlyAdmin


class OperatorsOnly(admin.ModelAdmin):
    """Rules for every petition at once: an operator's (superuser's) power, never a moderator's."""

    def has_module_permission(self, request) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None) -> bool:
        return self.has_module_permission(request)

    has_add_permission = has_change_permission = has_delete_permission = has_view_permission


@admin.register(Domain)
class DomainAdmin(OperatorsOnly):
    list_display = ("name", "state", "note", "updated_at", "updated_by")
    list_filter = ("state",)
    search_fields = ("name", "note")
    fields = ("name", "state", "note")

    def save_model(self, request, obj, form, change):
        obj.updated_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(ChallengeSetting)
class ChallengeSettingAdmin(OperatorsOnly):
    list_display = ("petition", "always", "updated_at")
    fields = ("petition", "always")


def _range(network: str) -> str:
    return range_label(network) if network else "—"


@admin.register(Parked)
class ParkedAdmin(ReadOnlyAdmin):
    """Submissions the defences held back: never emailed, never counted; the signer saw "check your email"."""

    list_display = ("created_at", "full_name", "email", "reason", "network_label", "petition")
    list_filter = ("reason", PetitionListFilter)
    list_select_related = ("petition", "affiliation")
    search_fields = ("full_name", "email", "domain")
    show_full_result_count = False
    fields = ("petition", "reason", "full_name", "email", "domain", "affiliation", "network_label", "created_at")
    readonly_fields = fields

    @admin.display(description=_("IP range"))
    def network_label(self, parked: Parked) -> str:
        return _range(parked.network)


@admin.register(Flag)
class FlagAdmin(ReadOnlyAdmin):
    """Bursts seen by `flag_trending`, with a way to invalidate what they point at."""

    list_display = ("last_seen", "petition", "kind", "what", "window", "act")
    list_filter = ("kind", PetitionListFilter)
    list_select_related = ("petition",)
    fields = ("petition", "kind", "what", "signatures", "parked", "first_seen", "last_seen", "act")
    readonly_fields = fields

    @admin.display(description=_("in the window"))
    def window(self, flag: Flag) -> str:
        return _("%(signed)d signed, %(parked)d parked") % {"signed": flag.signatures, "parked": flag.parked}

    @admin.display(description=_("what"))
    def what(self, flag: Flag) -> str:
        return range_label(flag.key) if flag.kind == Flag.Kind.RANGE else flag.key

    @admin.display(description=_("act"))
    def act(self, flag: Flag) -> str:
        field = {Flag.Kind.RANGE: "network", Flag.Kind.DOMAIN: "domain", Flag.Kind.AFFILIATION: "affiliation"}[
            flag.kind
        ]
        query = {"petition": flag.petition_id, field: flag.key}
        if flag.kind == Flag.Kind.AFFILIATION:  # a claim is common by nature: only the burst's window
            since = flag.first_seen - timedelta(seconds=settings.ABUSE_TRENDING_WINDOW)
            query["since"] = since.strftime("%Y-%m-%dT%H:%M")
        url = reverse("admin:abuse_invalidation_add") + "?" + urlencode(query)
        return format_html('<a href="{}">{}</a>', url, _("Invalidate…"))


class InvalidationForm(forms.Form):
    """The criteria of a bulk invalidation: at least one; together they must all match."""

    petition = forms.ModelChoiceField(queryset=None, label=_("Petition"))
    domain = forms.CharField(
        required=False, max_length=253, label=_("Email domain"), help_text=_("Includes its subdomains.")
    )
    network = forms.CharField(
        required=False,
        max_length=64,
        label=_("IP range"),
        help_text=_("An IP address in the range, the range (203.0.113.0/24), or the range key from a flag."),
    )
    affiliation = forms.ModelChoiceField(
        queryset=None, required=False, to_field_name="slug", label=_("Claimed affiliation"), empty_label=_("Any")
    )
    since = forms.DateTimeField(
        required=False, label=_("Signed from (UTC)"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    until = forms.DateTimeField(
        required=False, label=_("Signed before (UTC)"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    reason = forms.CharField(max_length=300, label=_("Reason (kept as evidence)"))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["petition"].queryset = moderated_petitions(user).order_by("title")
        self.fields["affiliation"].queryset = moderated_affiliations(user).order_by("name")

    def clean_domain(self) -> str:
        text = self.cleaned_data["domain"].strip()
        if not text:
            return ""
        try:
            return normalise_domain(text)
        except ValueError as error:
            raise forms.ValidationError(str(error))

    def clean_network(self) -> str:
        text = self.cleaned_data["network"].strip()
        if not text:
            return ""
        try:
            return range_key_from_text(text)
        except ValueError as error:
            raise forms.ValidationError(str(error))

    def clean(self):
        cleaned = super().clean()
        criteria = self.criteria() if not self.errors else {}
        if not self.errors and not any(criteria.values()):
            raise forms.ValidationError(
                _("Give at least one criterion: a domain, an IP range, a claimed affiliation or a time window.")
            )
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until and since >= until:
            raise forms.ValidationError(_("The window must start before it ends."))
        return cleaned

    def criteria(self) -> dict:
        data = self.cleaned_data
        return {
            "domain": data.get("domain") or "",
            "network": data.get("network") or "",
            "affiliation": data.get("affiliation"),
            "since": data.get("since"),
            "until": data.get("until"),
        }


@admin.register(Invalidation)
class InvalidationAdmin(ReadOnlyAdmin):
    """Bulk invalidations: who asked what, the dry-run count, progress, and the undo."""

    list_display = ("created_at", "petition", "criteria", "matched", "progress", "state", "requested_by")
    list_filter = ("state", PetitionListFilter)
    list_select_related = ("petition", "requested_by")
    fields = (
        "petition",
        "criteria",
        "reason",
        "matched",
        "progress",
        "invalidated",
        "state",
        "requested_by",
        "created_at",
        "finished_at",
        "undone_by",
        "undone_at",
        "reinstated",
        "undo_link",
    )
    readonly_fields = fields

    def has_add_permission(self, request) -> bool:
        return request.user.has_perm("abuse.add_invalidation")

    @admin.display(description=_("criteria"))
    def criteria(self, invalidation: Invalidation) -> str:
        return invalidation.criteria

    @admin.display(description=_("progress"))
    def progress(self, invalidation: Invalidation) -> str:
        return _("%(done)d of %(matched)d checked") % {"done": invalidation.done, "matched": invalidation.matched}

    @admin.display(description=_("undo"))
    def undo_link(self, invalidation: Invalidation) -> str:
        if invalidation.state != Invalidation.State.DONE:
            return "—"
        url = reverse("admin:abuse_invalidation_undo", args=[quote(invalidation.pk)])
        return format_html('<a href="{}">{}</a>', url, _("Undo: reinstate the signatures it invalidated…"))

    def get_urls(self):
        undo = self.admin_site.admin_view(self.undo_view)
        return [path("<path:object_id>/undo/", undo, name="abuse_invalidation_undo"), *super().get_urls()]

    def add_view(self, request, form_url="", extra_context=None):
        """GET: the criteria. POST: the dry-run count to confirm. POST with `confirm`: record it and start."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        posted = request.method == "POST"
        form = InvalidationForm(request.POST if posted else None, initial=request.GET.dict(), user=request.user)
        context = {**self.admin_site.each_context(request), "opts": self.opts, "form": form}
        if not posted or not form.is_valid():
            context["title"] = _("Invalidate signatures in bulk")
            return TemplateResponse(
                request, "admin/abuse/invalidation/criteria.html", context, status=400 if posted else 200
            )
        petition, criteria = form.cleaned_data["petition"], form.criteria()
        count = invalidations.dry_run(petition, **criteria)
        if "confirm" not in request.POST or not count:
            fields = ("petition", "domain", "network", "affiliation", "since", "until", "reason")
            back_url = (
                reverse("admin:abuse_invalidation_add") + "?" + urlencode({f: request.POST.get(f, "") for f in fields})
            )
            context.update(title=_("Confirm the invalidation"), count=count, petition=petition, back_url=back_url)
            return TemplateResponse(request, "admin/abuse/invalidation/confirm.html", context)
        invalidation = invalidations.request(petition, request.user, form.cleaned_data["reason"], **criteria)
        tasks.invalidate_signatures.delay_on_commit(invalidation.pk)
        audit(request.user, invalidation, f"Requested the invalidation of {invalidation.matched} signatures.")
        self.message_user(
            request,
            _("Invalidating %(count)d signatures; this page shows the progress.") % {"count": invalidation.matched},
            messages.SUCCESS,
        )
        return redirect(reverse("admin:abuse_invalidation_change", args=[quote(invalidation.pk)]))

    def undo_view(self, request, object_id):
        """GET: what the undo will do, with one button. POST: mark it and queue the undo."""
        invalidation = self.get_object(request, unquote(object_id))
        if not self.has_add_permission(request):
            raise PermissionDenied
        change_url = reverse("admin:abuse_invalidation_change", args=[quote(invalidation.pk)])
        if request.method == "POST":
            if invalidation.state != Invalidation.State.DONE and invalidation.state not in (
                Invalidation.State.UNDOING,
                Invalidation.State.UNDONE,
            ):
                self.message_user(request, _("It can be undone once it has finished."), messages.ERROR)
                return redirect(change_url)
            if invalidations.request_undo(invalidation, request.user):
                tasks.undo_invalidation.delay_on_commit(invalidation.pk)
                audit(request.user, invalidation, "Undid the invalidation.")
                self.message_user(request, _("Reinstating the signatures it invalidated."), messages.SUCCESS)
            return redirect(change_url)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": invalidation,
            "title": _("Undo this invalidation?"),
        }
        return TemplateResponse(request, "admin/abuse/invalidation/undo.html", context)
