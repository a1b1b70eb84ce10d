"""The public site's URLs, in the two namespaces the templates and emails use: `petitions` and `signatures`."""

from django.urls import path

from .views import api, challenges, pages, resend, signing

petition_urls = (
    [
        path("", pages.index, name="index"),
        path("petitions/<slug:slug>/", pages.detail, name="detail"),
        path("petitions/<slug:slug>/sign/", signing.sign, name="sign"),
        path("petitions/<slug:slug>/sign/challenge/", signing.challenge, name="sign_challenge"),
        path("petitions/<slug:slug>/signatures/", pages.signers, name="signers"),
        path("api/petitions/<slug:slug>/", api.api_petition, name="api_detail"),
        path("api/petitions/<slug:slug>/signatures/", api.api_signers, name="api_signers"),
        path("privacy/", pages.privacy, name="privacy"),
    ],
    "petitions",
)

signature_link_urls = (
    [
        path("confirm/<str:token>/", signing.confirm, name="confirm"),
        path("withdraw/<str:token>/", signing.withdraw, name="withdraw"),
        path("erase/<str:token>/", signing.erase, name="erase"),
        path("challenge/<str:token>/", challenges.challenge, name="challenge"),
        path("resend/", resend.resend, name="resend"),
    ],
    "signatures",
)
