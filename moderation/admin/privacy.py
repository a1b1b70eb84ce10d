"""The record of erasures (signatures.lifetimes): what kind of personal data went, when, on which petition.

A record names no one. Moderators' permissions do not include it yet (superusers and operators see it);
the data-lifetime settings are on the public privacy page.
"""

from django.contrib import admin

from signatures.models import Erasure

from .base import PetitionListFilter, ReadOnlyAdmin


@admin.register(Erasure)
class ErasureAdmin(ReadOnlyAdmin):
    list_display = ("at", "petition", "kind", "rows")
    list_filter = ("kind", PetitionListFilter)
    list_select_related = ("petition",)
    ordering = ("-at", "-id")
    show_full_result_count = False
