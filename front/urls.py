"""The public site's URLs, in the two namespaces the templates and emails use: `petitions` and `signatures`."""

from django.urls import path

from .views import api, archive, challenges, embed, pages, press, resend, sharing, signing

petition_urls = (
    [
        path("", pages.index, name="index"),
        path("petitions/<slug:slug>/", pages.detail, name="detail"),
        path("petitions/<slug:slug>/sign/", signing.sign, name="sign"),
        path("petitions/<slug:slug>/sign/challenge/", signing.challenge, name="sign_challenge"),
        path("petitions/<slug:slug>/signatures/", pages.signers, name="signers"),
        # Issue 8: the embeddable counter (the only frameable page), the press copy, sharing, archive, feed.
        path("petitions/<slug:slug>/embed/", embed.embed, name="embed"),
        path("petitions/<slug:slug>/print/", press.print_copy, name="print"),
        path("petitions/<slug:slug>/letter.pdf", press.letter_pdf, name="pdf"),
        path("petitions/<slug:slug>/letter.txt", press.letter_text, name="text"),
        path("petitions/<slug:slug>/share/mastodon/", sharing.share_on_mastodon, name="share_mastodon"),
        path("petitions/<slug:slug>/share.png", sharing.share_image, name="share_image"),
        path("archive/", archive.archive, name="archive"),
        path("feed.atom", archive.new_letters_feed, name="feed"),
        path("favicon.ico", sharing.favicon, name="favicon"),
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
