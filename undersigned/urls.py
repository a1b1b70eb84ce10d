from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path

from signatures.admin_views import export_csv

admin.site.login = secure_admin_login(admin.site.login)
admin.site.site_header = "Undersigned moderation"
admin.site.site_title = "Undersigned"
admin.site.index_title = "Petitions, claims and rosters"

urlpatterns = [
    path("admin/petitions/<slug:slug>/export.csv", export_csv, name="export_csv"),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("signatures/", include("signatures.urls")),
    path("", include("petitions.urls")),
]
