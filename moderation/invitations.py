"""The invitation link: GET shows what is offered and the one form to accept it; only a POST acts.

- No account uses the invited address: choose a password (allauth's two-factor authentication stays
  optional, from the account pages), and you are signed in on your letters.
- An account uses it: sign in as that account (the page links to sign-in and comes back), then press Accept.
- Unknown, expired, revoked or used links get a page saying which, and what to do.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model, login, password_validation
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from teams import invitations
from teams.models import Invitation, InvitationError

LANDING = "admin:petitions_petition_changelist"  # the letters they now work on


class NewAccountForm(forms.Form):
    password1 = forms.CharField(
        label=gettext_lazy("Choose a password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label=gettext_lazy("The same password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args, email: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.email = email

    def clean(self):
        data = super().clean()
        first, second = data.get("password1"), data.get("password2")
        if first and second and first != second:
            self.add_error("password2", _("The two passwords differ."))
        elif first:
            User = get_user_model()
            try:
                password_validation.validate_password(first, User(username=self.email, email=self.email))
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return data


def _refused(request, error: InvitationError):
    status = 404 if error.code == "unknown" else 409 if error.code in {"has_account", "wrong_account"} else 410
    return render(request, "teams/invitation_refused.html", {"error": error, "code": error.code}, status=status)


def _accepted(request, invitation: Invitation):
    messages.success(
        request,
        _("Welcome: you are now %(role)s. Two-factor authentication is available from your account pages.")
        % {"role": invitation.role_in_words()},
    )
    return redirect(LANDING)


@never_cache
@sensitive_post_parameters("password1", "password2")
def accept_invitation(request, token: str):
    try:
        invitation = invitations.find(token)
        invitation.refuse_unless_pending()
    except InvitationError as error:
        return _refused(request, error)
    account = invitations.account_for(invitation.email)
    context = {"invitation": invitation, "role": invitation.role_in_words(), "account": account}
    posted = request.method == "POST"
    if account is None:
        form = NewAccountForm(request.POST if posted else None, email=invitation.email)
        if posted and form.is_valid():
            try:
                user = invitations.accept_with_new_account(invitation, form.cleaned_data["password1"])
            except InvitationError as error:
                return _refused(request, error)
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            return _accepted(request, invitation)
        return render(request, "teams/accept_invitation.html", {**context, "form": form}, status=400 if posted else 200)
    signed_in_as_invited = request.user.is_authenticated and request.user.pk == account.pk
    if posted and signed_in_as_invited:
        try:
            invitations.accept(invitation, request.user)
        except InvitationError as error:
            return _refused(request, error)
        return _accepted(request, invitation)
    context["login_url"] = f"{reverse('account_login')}?next={request.path}"
    context["signed_in_as_invited"] = signed_in_as_invited
    return render(request, "teams/accept_invitation.html", context, status=403 if posted else 200)
