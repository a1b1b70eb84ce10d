"""The moderator panel's base: every ModelAdmin sees only what the user moderates, and shared pieces."""

from django.contrib import admin
from django.http import Http404
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme

from signatures.models import Signature
from teams.scope import (
    kept_affiliations,
    moderated_affiliations,
    moderated_petitions,
    within_affiliations,
    within_kept,
    within_petitions,
)


class ModeratedAdmin(admin.ModelAdmin):
    """Operators see everything; anyone else only rows of the letters they moderate or organise, or (with
    `roster_data`) of the rosters they keep (teams.scope).

    Objects outside that scope do not exist for the user: their pages answer 404.
    """

    petition_path: str | None = "petition"
    affiliation_path: str | None = None
    # Roster entries and imports belong to the roster's keepers, not to every letter offering the affiliation.
    roster_data = False

    def get_queryset(self, request):
        return self.scope(super().get_queryset(request), request.user)

    def scope(self, queryset, user):
        if self.affiliation_path and self.roster_data:
            return within_kept(queryset, user, self.affiliation_path)
        if self.affiliation_path:
            return within_affiliations(queryset, user, self.affiliation_path)
        return within_petitions(queryset, user, self.petition_path)

    def affiliations_in_scope(self, user):
        """The affiliations this admin's filter may offer the user."""
        return kept_affiliations(user) if self.roster_data else moderated_affiliations(user)

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404(f"No {self.opts.verbose_name} with this id among those you moderate.")
        return obj


class ReadOnlyAdmin(ModeratedAdmin):
    """Records of what happened: nobody adds, edits or deletes them."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ReadOnlyInline(admin.TabularInline):
    """Rows shown beside their parent as a record: nobody adds, edits or deletes them here."""

    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class ScopedListFilter(admin.SimpleListFilter):
    """Filter by the id of a petition or affiliation, offering only those the user moderates."""

    def lookup_path(self) -> str:
        return self.parameter_name

    def queryset(self, request, queryset):
        value = self.value()
        if value is None:
            return queryset
        if not value.isdigit():
            return queryset.none()
        return queryset.filter(**{self.lookup_path(): value})


class PetitionListFilter(ScopedListFilter):
    """By petition (never offering another petition's title)."""

    title = "petition"
    parameter_name = "petition"

    def __init__(self, request, params, model, model_admin):
        self.petition_path = model_admin.petition_path
        super().__init__(request, params, model, model_admin)

    def lookups(self, request, model_admin):
        return list(moderated_petitions(request.user).order_by("title").values_list("pk", "title"))

    def lookup_path(self) -> str:
        return self.petition_path


class AffiliationListFilter(ScopedListFilter):
    """By affiliation, offering only those in the admin's scope (offered by the user's letters, or kept)."""

    title = "affiliation"
    parameter_name = "affiliation"

    def lookups(self, request, model_admin):
        offered = model_admin.affiliations_in_scope(request.user)
        return list(offered.order_by("name").values_list("pk", "name"))


def changelist_url(model, **filters) -> str:
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    if filters:
        url += "?" + "&".join(f"{key}={value}" for key, value in filters.items())
    return url


def badge(value: str, label: str | None = None) -> str:
    """A verification value as the coloured badge moderators scan for (label defaults to its display name)."""
    label = label or dict(Signature.Verification.choices).get(value, value)
    return format_html('<span class="badge {}">{}</span>', value, label)


def came_from(request) -> str | None:
    """The page a button was pressed on, if it is one of ours."""
    referer = request.META.get("HTTP_REFERER", "")
    safe = url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return referer if safe else None
