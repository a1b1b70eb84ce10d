"""The panel's URLs beside the admin's own: the CSV export, and the invitation links."""

from django.urls import path

from .export import export_csv
from .invitations import accept_invitation

urlpatterns = [
    path("admin/petitions/<slug:slug>/export.csv", export_csv, name="export_csv"),
    path("accounts/invitation/<str:token>/", accept_invitation, name="accept_invitation"),
]
