"""Petitions and their versions in the panel: organisers create and edit their own letters, moderators view
the letters they are on, operators everything (teams.scope)."""

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Max, Q
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext

from abuse.models import Flag, Parked
from moderation import letters
from moderation.decisions import audit
from petitions.models import Petition, PetitionVersion
from signatures.models import AffiliationTally, ClaimReview, Signature
from teams.roles import add_organiser
from teams.scope import MODERATORS_GROUP, can_organise, organised_petitions

from .base import ModeratedAdmin, PetitionListFilter, ReadOnlyAdmin, ReadOnlyInline, changelist_url
from .workspace import LetterWorkspace


class VersionInline(ReadOnlyInline):
    """The texts people signed: frozen, so read-only for everyone."""

    model = PetitionVersion
    fields = ("number", "title", "summary", "body_start", "created_at")
    show_change_link = True
    readonly_fields = fields
    ordering = ("-number",)
    verbose_name_plural = "versions (each signature records the one its signer saw)"

    @admin.display(description="body")
    def body_start(self, version: PetitionVersion) -> str:
        return version.body[:300] + ("…" if len(version.body) > 300 else "")


class TallyInline(ReadOnlyInline):
    """Confirmed claims per affiliation, and how many are verified (the public counts)."""

    model = AffiliationTally
    fields = ("affiliation", "claimed", "verified")
    readonly_fields = fields
    verbose_name_plural = "claims per affiliation"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("affiliation")


@admin.register(Petition)
class PetitionAdmin(LetterWorkspace, ModeratedAdmin):
    petition_path = "pk"
    list_display = ("title", "kind", "status", "signature_count", "published_at", "workspace_link", "export_link")
    list_filter = ("status", "kind")
    search_fields = ("title", "slug")
    prepopulated_fields = {"slug": ("title",)}
    filter_horizontal = ("affiliations", "moderators")
    inlines = [TallyInline, VersionInline]
    actions = ["publish", "close", "archive"]
    fieldsets = [
        (None, {"fields": ["title", "slug", "kind", "summary", "body", "text_preview"]}),
        ("Signing", {"fields": ["affiliations", "goal", "closes_at", "anonymise_after_close_months"]}),
        (
            "Moderation",
            {
                "fields": ["organiser_list", "moderators", "claims_to_review", "export_links"],
                "description": f"Moderators are staff users in the “{MODERATORS_GROUP}” group; "
                "each sees only the petitions listing them here. Invite new ones from Invitations.",
            },
        ),
        (
            "State",
            {"fields": ["status", "published_at", "closed_at", "current_version", "signature_count", "abuse_flags"]},
        ),
    ]
    readonly_fields = [
        "text_preview",
        "status",
        "published_at",
        "closed_at",
        "current_version",
        "signature_count",
        "abuse_flags",
        "claims_to_review",
        "export_links",
        "organiser_list",
    ]

    def has_change_permission(self, request, obj=None) -> bool:
        """Organisers edit (and publish, close, archive) their own letters; moderators only read theirs."""
        return super().has_change_permission(request, obj) and (obj is None or can_organise(request.user, obj))

    @admin.display(description="organisers")
    def organiser_list(self, petition: Petition) -> str:
        if petition.pk is None:
            return "—"
        emails = petition.organisers.select_related("user").order_by("user__email").values_list("user__email")
        return format_html_join(", ", "{}", emails) or "—"

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and obj.is_public:
            fields.append("slug")  # its public address must not move once published
        return fields

    def get_prepopulated_fields(self, request, obj=None):
        return {} if obj is not None and obj.is_public else super().get_prepopulated_fields(request, obj)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "moderators":
            staff = get_user_model().objects.filter(is_active=True, is_staff=True).order_by("email")
            if not request.user.is_superuser:
                # An organiser picks among their own teams' people, never the site's whole list of accounts.
                mine = organised_petitions(request.user)
                staff = staff.filter(
                    Q(moderated_petitions__in=mine) | Q(organising__petition__in=mine) | Q(pk=request.user.pk)
                ).distinct()
            kwargs["queryset"] = staff
            kwargs["help_text"] = f"Active staff users; put them in the “{MODERATORS_GROUP}” group too."
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        """Save only what the form edits (counters move concurrently), then version the text if it changed."""
        with transaction.atomic():
            if change:
                obj.save(update_fields=[f.name for f in obj._meta.concrete_fields if f.name in form.fields])
            else:
                obj.save()
                if not request.user.is_superuser:
                    add_organiser(obj, request.user, added_by=request.user)  # whoever writes a letter owns it
                audit(request.user, obj, "Created the letter.")
            previous = obj.current_version_id
            version = obj.record_version()
        if change and version is not None and version.pk != previous:
            self.message_user(
                request,
                f"The text changed: new signers now see version {version.number}; "
                "earlier signatures keep the version they signed.",
                messages.INFO,
            )

    @admin.display(description="workspace")
    def workspace_link(self, petition: Petition) -> str:
        url = reverse("admin:petitions_petition_workspace", args=[petition.pk])
        return format_html('<a href="{}">{}</a>', url, gettext("Dashboard"))

    @admin.display(description="export")
    def export_link(self, petition: Petition) -> str:
        return format_html('<a href="{}">CSV</a>', reverse("export_csv", args=[petition.slug]))

    @admin.display(description="CSV export of signers")
    def export_links(self, petition: Petition) -> str:
        if petition.pk is None:
            return "—"
        url = reverse("export_csv", args=[petition.slug])
        choices = [("verified", "verified claims"), ("needs_review", "claims to review"), ("all", "every signer")]
        return format_html_join(" · ", '<a href="{}?verification={}">{}</a>', ((url, v, label) for v, label in choices))

    @admin.display(description="trending flags and parked submissions")
    def abuse_flags(self, petition: Petition) -> str:
        """Beside the count: the bursts `flag_trending` saw and what the limits held back (abuse app)."""
        if petition.pk is None:
            return "—"
        flags = Flag.objects.filter(petition=petition).aggregate(
            count=Count("pk"), signed=Max("signatures"), parked=Max("parked")
        )
        largest = gettext(" (largest burst: %(signed)d signed, %(parked)d parked)") % flags if flags["count"] else ""
        return format_html(
            '<a href="{}">{}</a>{} · <a href="{}">{}</a>',
            changelist_url(Flag, petition=petition.pk),
            gettext("%(count)d trending flag(s)") % flags,
            largest,
            changelist_url(Parked, petition=petition.pk),
            gettext("%(count)d parked submission(s)") % {"count": Parked.objects.filter(petition=petition).count()},
        )

    @admin.display(description="claims to review")
    def claims_to_review(self, petition: Petition) -> str:
        if petition.pk is None:
            return "—"
        waiting = Signature.objects.claims_to_review().filter(petition=petition).count()
        return format_html('<a href="{}">{} waiting</a>', changelist_url(ClaimReview, petition=petition.pk), waiting)

    @admin.action(description="Publish the selected drafts", permissions=["change"])
    def publish(self, request, queryset):
        self._transition(request, queryset, "publish", "Published")

    @admin.action(description="Close the selected open petitions", permissions=["change"])
    def close(self, request, queryset):
        self._transition(request, queryset, "close", "Closed")

    @admin.action(description="Archive the selected closed petitions", permissions=["change"])
    def archive(self, request, queryset):
        self._transition(request, queryset, "archive", "Archived")

    def _transition(self, request, queryset, method: str, verb: str) -> None:
        """Each petition through its own named transition; the ones that refuse say why."""
        done = []
        for petition in queryset:
            if not can_organise(request.user, petition):
                self.message_user(request, f"{petition}: only its organisers can do that.", messages.ERROR)
                continue
            try:
                letters.change_state(petition, method, request.user)
            except ValidationError as error:
                self.message_user(request, f"{petition}: {' '.join(error.messages)}", messages.ERROR)
                continue
            done.append(petition.title)
        if done:
            self.message_user(request, f"{verb}: {', '.join(done)}.", messages.SUCCESS)


@admin.register(PetitionVersion)
class PetitionVersionAdmin(ReadOnlyAdmin):
    """The exact text of each version, as its signers saw it."""

    list_display = ("petition", "number", "title", "created_at")
    list_filter = (PetitionListFilter,)
    list_select_related = ("petition",)
    search_fields = ("title", "petition__title")
    fields = ("petition", "number", "title", "summary", "rendered", "body", "created_at")
    readonly_fields = fields

    @admin.display(description="as shown")
    def rendered(self, version: PetitionVersion) -> str:
        return mark_safe(version.body_html)  # noqa: S308 — sanitised by nh3 in petitions.markdown
