from django import forms

from petitions.models import Petition
from verification.models import Affiliation

from .models import Signature


class SignatureForm(forms.ModelForm):
    """The public signing form. The affiliation is a slug from those the petition offers."""

    affiliation = forms.ModelChoiceField(
        queryset=Affiliation.objects.none(),
        to_field_name="slug",
        required=False,
        empty_label="None",
        label="Affiliation you claim",
    )
    version = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1)

    class Meta:
        model = Signature
        fields = ["full_name", "email", "affiliation", "role", "organisation", "comment", "public"]
        labels = {"full_name": "Full name", "public": "Show my name, affiliation and comment publicly"}
        widgets = {"comment": forms.Textarea(attrs={"rows": 3, "maxlength": 1000})}

    def __init__(self, *args, petition: Petition, **kwargs):
        super().__init__(*args, **kwargs)
        self.petition = petition
        self.fields["affiliation"].queryset = petition.affiliations.all()
        self.fields["email"].widget.attrs["autocomplete"] = "email"
        self.fields["full_name"].widget.attrs["autocomplete"] = "name"
        if petition.current_version_id and not self.is_bound:
            self.initial["version"] = petition.current_version.number

    def clean_full_name(self) -> str:
        name = " ".join(self.cleaned_data["full_name"].split())
        if not any(c.isalpha() for c in name):
            raise forms.ValidationError("Please enter your name.")
        return name

    def clean_version(self):
        """The version the signer saw; an unknown number falls back to the current text."""
        number = self.cleaned_data.get("version")
        if number is None:
            return None
        return self.petition.versions.filter(number=number).first()

    def signature_details(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}
