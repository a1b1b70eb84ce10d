"""Invitations in the panel: operators invite organisers; organisers invite co-organisers and moderators to
their letters. Every invitation goes through teams.invitations (checks, audit, email); nobody edits one."""

from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from teams import invitations
from teams.models import Invitation, InvitationError
from teams.scope import invitations_in_scope, organised_petitions

from .base import ModeratedAdmin, PetitionListFilter


class InvitationForm(forms.ModelForm):
    """Who to invite to what; the use case's own checks (address, permission, duplicates) become form errors."""

    class Meta:
        model = Invitation
        fields = ("email", "role", "petition")
        labels = {"petition": _("Letter")}

    def __init__(self, *args, inviter=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.inviter = inviter
        if "petition" not in self.fields:
            return  # an invitation already sent: shown, never edited
        self.fields["petition"].queryset = organised_petitions(inviter).order_by("title")
        widget = self.fields["petition"].widget
        for gesture in ("can_add_related", "can_change_related", "can_view_related", "can_delete_related"):
            setattr(widget, gesture, False)  # an invitation picks a letter; it does not edit one
        if not inviter.is_superuser:
            self.fields["petition"].required = True
            self.fields["petition"].help_text = _("One of the letters you organise.")

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        try:
            invitations.check(data["email"], data["role"], data.get("petition"), self.inviter)
        except InvitationError as error:
            raise forms.ValidationError(error.messages) from None
        return data


@admin.register(Invitation)
class InvitationAdmin(ModeratedAdmin):
    form = InvitationForm
    list_display = ("email", "role_offered", "state", "invited_by", "created_at", "expires_at")
    list_filter = ("role", PetitionListFilter)
    list_select_related = ("petition", "invited_by")
    search_fields = ("email",)
    actions = ["revoke_invitations"]
    fields = ("email", "role", "petition", "state", "invited_by", "created_at", "expires_at", "accepted", "revoked")
    readonly_fields = ("state", "invited_by", "created_at", "expires_at", "accepted", "revoked")

    def scope(self, queryset, user):
        return queryset.filter(pk__in=invitations_in_scope(user).values("pk"))

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)

        class WithInviter(form):
            def __init__(self, *args, **inner):
                super().__init__(*args, inviter=request.user, **inner)

        return WithInviter

    def get_fields(self, request, obj=None):
        return ("email", "role", "petition") if obj is None else self.fields

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj is None else self.fields

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # an invitation is a record: revoke it instead

    def save_model(self, request, obj, form, change):
        """Through the use case (which also audits and queues the email), never a bare save."""
        created = invitations.invite(obj.email, obj.role, obj.petition, request.user)
        obj.pk, obj.key, obj.created_at, obj.expires_at = (
            created.pk,
            created.key,
            created.created_at,
            created.expires_at,
        )
        obj.email, obj.invited_by = created.email, created.invited_by
        self.message_user(request, _("The invitation is on its way to %(email)s.") % {"email": created.email})

    def log_addition(self, request, obj, message):
        """teams.invitations.invite has written the audit entry already."""

    @admin.display(description=_("role"))
    def role_offered(self, invitation: Invitation) -> str:
        return invitation.role_in_words()

    @admin.display(description=_("state"))
    def state(self, invitation: Invitation) -> str:
        return invitation.get_state_display()

    @admin.display(description=_("accepted"))
    def accepted(self, invitation: Invitation) -> str:
        if not invitation.accepted_at:
            return "—"
        return f"{invitation.accepted_at:%Y-%m-%d %H:%M} UTC"

    @admin.display(description=_("revoked"))
    def revoked(self, invitation: Invitation) -> str:
        if not invitation.revoked_at:
            return "—"
        by = invitation.revoked_by.email if invitation.revoked_by else "—"
        return f"{invitation.revoked_at:%Y-%m-%d %H:%M} UTC, by {by}"

    @admin.action(description=_("Revoke the selected invitations (their links stop working)"), permissions=["change"])
    def revoke_invitations(self, request, queryset):
        revoked = 0
        for invitation in queryset:
            try:
                revoked += invitations.revoke(invitation, request.user)
            except InvitationError as error:
                self.message_user(request, f"{invitation.email}: {' '.join(error.messages)}", messages.ERROR)
        if revoked:
            self.message_user(request, _("Revoked %(count)d invitation(s).") % {"count": revoked}, messages.SUCCESS)
