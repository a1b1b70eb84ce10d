import copy
import re

from django import forms
from django.forms.models import construct_instance
from django.utils.translation import gettext_lazy as _

from abuse import domains
from petitions.models import Petition
from signatures.addresses import AddressError, canonical_address
from signatures.models import Signature

# Control characters, invisible characters (soft hyphen, zero-width, word joiner, BOM) and the bidirectional
# marks and overrides that make a name display as something else.
_INVISIBLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\xad\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")


class StrictCheckboxInput(forms.CheckboxInput):
    """Hands the raw value to the field, which decides what it means (Django's would take any text as True)."""

    def value_from_datadict(self, data, files, name):
        return data.get(name, False)


class ConsentField(forms.BooleanField):
    """A checkbox: ticked is "on" (what browsers send) or true/1; absent is False; anything else is an error."""

    widget = StrictCheckboxInput
    default_error_messages = {"invalid": _("Tick the box or leave it empty.")}

    def to_python(self, value):
        if value in (True, False):
            return value
        text = str(value).strip().lower()
        if text in ("on", "true", "1", "yes"):
            return True
        if text in ("", "off", "false", "0", "no"):
            return False
        raise forms.ValidationError(self.error_messages["invalid"], code="invalid")


class CommentField(forms.CharField):
    """Browsers send a line break as CRLF but count it as one character against `maxlength`; so do we."""

    def to_python(self, value):
        return super().to_python(value).replace("\r\n", "\n")


def single_line(text: str) -> str:
    return " ".join(_INVISIBLE.sub("", text).split())


class SignatureForm(forms.ModelForm):
    """The public signing form. The affiliation is a slug from those the petition offers."""

    # Each petition's forms have a copy offering the petition's affiliations (affiliation_field); none here.
    affiliation = forms.ModelChoiceField(
        queryset=None,
        to_field_name="slug",
        required=False,
        empty_label=_("None"),
        label=_("Affiliation you claim"),
    )
    comment = CommentField(
        label=_("Comment"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": 1000}),
    )
    public = ConsentField(required=False, label=_("Show my name, affiliation and comment publicly"))
    version = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1, max_value=2**31 - 1)
    # The honeypot: hidden from people by front/static/front/signing.css, labelled for screen readers to leave
    # empty; bots that fill every field are parked (abuse.intake). Any value is accepted: it must not say why.
    website = forms.CharField(
        required=False,
        strip=False,
        label=_("Leave this field empty"),
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )

    class Meta:
        model = Signature
        fields = ["full_name", "email", "affiliation", "roster_email", "role", "organisation", "comment", "public"]
        labels = {
            "full_name": _("Full name"),
            "email": _("Email"),
            "roster_email": _("The address your group has for you"),
            "role": _("Role"),
            "organisation": _("Organisation"),
        }
        help_texts = {
            "roster_email": _(
                "If you claim an affiliation and sign from another address, give the one on its member "
                "list: if it is there, we ask you to confirm from it. It is never shown."
            ),
        }

    def __init__(self, *args, petition: Petition, **kwargs):
        super().__init__(*args, **kwargs)
        self.petition = petition
        self.fields["affiliation"] = affiliation_field(petition)
        if petition.current_version_id and not self.is_bound:
            self.initial["version"] = petition.current_version.number

    def clean_email(self) -> str:
        address = _canonical(self.cleaned_data["email"])
        if domains.is_disposable(address.rpartition("@")[2]):
            raise forms.ValidationError(
                _("Addresses at disposable-mail services cannot sign: please use an address you keep."),
                code="disposable",
            )
        return address

    def clean_website(self) -> str:
        return self.cleaned_data["website"][:200]

    def clean_roster_email(self) -> str:
        return _canonical(self.cleaned_data["roster_email"]) if self.cleaned_data["roster_email"] else ""

    def clean_full_name(self) -> str:
        name = single_line(self.cleaned_data["full_name"])
        if not any(c.isalpha() for c in name):
            raise forms.ValidationError(_("Please enter your name."))
        return name

    def clean_role(self) -> str:
        return single_line(self.cleaned_data["role"])

    def clean_organisation(self) -> str:
        return single_line(self.cleaned_data["organisation"])

    def clean_comment(self) -> str:
        return _INVISIBLE.sub("", self.cleaned_data["comment"]).strip()

    def clean_version(self):
        """The version the signer saw; an unknown number falls back to the current text."""
        number = self.cleaned_data.get("version")
        if number is None:
            return None
        current = self.petition.current_version
        if current is not None and current.number == number:
            return current  # almost always: no query
        return self.petition.versions.filter(number=number).first()

    def _get_validation_exclusions(self):
        """The affiliation was read by its field, from the petition's own: the model's validation would only
        read it again (a query per signature)."""
        return super()._get_validation_exclusions() | {"affiliation"}

    def _post_clean(self) -> None:
        """The model's field checks, without its two constraints: they are the database's and the signing's own.
        One address, one signature per petition is the upsert's conflict target (signing again restates, see
        signatures.upsert); the claim's verification is set by Signature.start_claim, not by this form. Django
        would build a query for each (a twelfth of a signing's CPU) only to skip them, their fields being outside
        the form. (ModelForm._post_clean, less the constraints and the uniqueness checks.)"""
        try:
            self.instance = construct_instance(self, self.instance, self._meta.fields, self._meta.exclude)
        except forms.ValidationError as error:
            self._update_errors(error)
        try:
            exclude = self._get_validation_exclusions()
            self.instance.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
        except forms.ValidationError as error:
            self._update_errors(error)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("roster_email") and not cleaned.get("affiliation"):
            cleaned["roster_email"] = ""  # it only serves a claim
        return cleaned

    def signature_details(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class SharedFields(dict):
    """SignatureForm's declared fields, shared by its forms instead of copied for each (each gets a dict of its own).

    Django deep-copies every field (and its widget) for each form, so that a form may change its own: that copy was
    a tenth of a signing POST's CPU (about 100 µs of 1 ms in one process). A SignatureForm changes none of them: the
    one field that differs between petitions, the affiliation (the petition's choices), is put in whole by __init__,
    made once per petition (`affiliation_field`). So the fields are shared by the forms and the threads serving them
    (cleaning and rendering a field only read it). tests/front/test_signing.py holds them to it: a form that must
    change a field of its own replaces it with a copy, as __init__ does the affiliation.
    """

    def __deepcopy__(self, memo) -> dict:
        return dict(self)


# Set once here rather than on each form's copy: the fields they are set on are shared (SharedFields).
SignatureForm.base_fields["email"].widget.attrs["autocomplete"] = "email"
SignatureForm.base_fields["full_name"].widget.attrs["autocomplete"] = "name"
SignatureForm.base_fields = SharedFields(SignatureForm.base_fields)

# The affiliation field of each petition's forms, made once per process and petition: its choices are the query of
# the petition's affiliations, the same for every form of that petition and run afresh whenever a form is rendered
# or checked (a newly offered affiliation is never missed). Bounded: AFFILIATION_FIELDS_KEPT petitions, then it
# starts afresh.
AFFILIATION_FIELDS_KEPT = 256
_affiliation_fields: dict[int, forms.ModelChoiceField] = {}


def affiliation_field(petition: Petition) -> forms.ModelChoiceField:
    field = _affiliation_fields.get(petition.pk) if petition.pk else None
    if field is None:
        field = copy.deepcopy(SignatureForm.base_fields["affiliation"])
        field.queryset = petition.offered_affiliations
        if petition.pk:
            if len(_affiliation_fields) >= AFFILIATION_FIELDS_KEPT:
                _affiliation_fields.clear()
            _affiliation_fields[petition.pk] = field
    return field


def _canonical(address: str) -> str:
    """The address as mail is delivered to it (punycode domain); disguised spellings are refused, named."""
    try:
        return canonical_address(address)
    except AddressError as error:
        raise forms.ValidationError(error.message, code=error.code)


class ResendForm(forms.Form):
    """ "Didn't get the email?": an address and the petition it signed (any open one)."""

    email = forms.EmailField(label=_("Email"), max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    petition = forms.ModelChoiceField(
        queryset=Petition.objects.none(),
        to_field_name="slug",
        label=_("Petition or letter you signed"),
        empty_label=_("Choose one"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["petition"].queryset = Petition.objects.filter(status=Petition.Status.OPEN).order_by("title")

    def clean_email(self) -> str:
        return _canonical(self.cleaned_data["email"])
