"""Moderator accounts: a superuser creates them here with the email address they log in with."""

from allauth.account.models import EmailAddress
from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.db import transaction

from moderation.decisions import audit
from petitions.moderators import MODERATORS_GROUP, make_moderator

User = get_user_model()


class UniqueEmailMixin:
    """Login is by email address, so two accounts may not share one."""

    def clean_email(self):
        email = self.cleaned_data.get("email", "").strip()
        if not email:
            return email
        others = User.objects.filter(email__iexact=email)
        addresses = EmailAddress.objects.filter(email__iexact=email)
        if self.instance.pk:
            others = others.exclude(pk=self.instance.pk)
            addresses = addresses.exclude(user_id=self.instance.pk)
        if others.exists() or addresses.exists():
            raise forms.ValidationError("Another account already uses this email address.")
        return email


class ModeratorCreationForm(UniqueEmailMixin, AdminUserCreationForm):
    email = forms.EmailField(help_text="They log in with this address (and can reset their password with it).")
    moderator = forms.BooleanField(
        required=False,
        initial=True,
        label="Moderator",
        help_text=f"Make them staff and put them in the “{MODERATORS_GROUP}” group. Then list them as "
        "moderators on the petitions they should see.",
    )

    class Meta(AdminUserCreationForm.Meta):
        fields = ("email", "username")


class AccountChangeForm(UniqueEmailMixin, UserChangeForm):
    pass


def sync_login_address(user) -> None:
    """The address a superuser sets is the login address, verified: they vouch for it."""
    EmailAddress.objects.filter(user=user).exclude(email__iexact=user.email).delete()
    if user.email:
        EmailAddress.objects.update_or_create(user=user, email=user.email, defaults={"verified": True, "primary": True})


admin.site.unregister(User)


@admin.register(User)
class AccountAdmin(UserAdmin):
    form = AccountChangeForm
    add_form = ModeratorCreationForm
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("email", "username", "moderator", "usable_password", "password1", "password2"),
            },
        ),
    )
    list_display = ("email", "username", "is_staff", "moderator", "is_superuser", "is_active", "last_login")
    search_fields = ("email", "username", "first_name", "last_name")
    ordering = ("email",)
    actions = ["make_moderators"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("groups")

    @admin.display(description="moderator", boolean=True)
    def moderator(self, user) -> bool:
        return user.is_staff and any(group.name == MODERATORS_GROUP for group in user.groups.all())

    def save_model(self, request, obj, form, change):
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            if not change and form.cleaned_data.get("moderator"):
                make_moderator(obj)
            if not change or "email" in form.changed_data:
                sync_login_address(obj)

    @admin.action(
        description="Make the selected users moderators (staff, in the Moderators group)", permissions=["change"]
    )
    def make_moderators(self, request, queryset):
        users = list(queryset)
        for user in users:
            make_moderator(user)
            audit(request.user, user, f"Made a moderator (staff, in the {MODERATORS_GROUP} group).")
        self.message_user(
            request,
            f"{len(users)} moderator(s). List them on their petitions (Petitions → moderators).",
            messages.SUCCESS,
        )
