"""The moderators' URLs beside the admin's own: the CSV export."""

from django.urls import path

from .export import export_csv

urlpatterns = [
    path("admin/petitions/<slug:slug>/export.csv", export_csv, name="export_csv"),
]
