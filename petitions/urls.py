from django.urls import path

from signatures import views as signature_views

from . import views

app_name = "petitions"

urlpatterns = [
    path("", views.index, name="index"),
    path("petitions/<slug:slug>/", views.detail, name="detail"),
    path("petitions/<slug:slug>/sign/", signature_views.sign, name="sign"),
    path("petitions/<slug:slug>/signatures/", signature_views.signers, name="signers"),
    path("api/petitions/<slug:slug>/", views.api_petition, name="api_detail"),
    path("api/petitions/<slug:slug>/signatures/", signature_views.api_signers, name="api_signers"),
]
