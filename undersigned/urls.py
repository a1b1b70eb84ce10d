"""Root URLs: the moderators' panel (the admin, its export, allauth's login) and the public site."""

from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt
from django.views.i18n import set_language

from front.urls import petition_urls, signature_link_urls
from moderation.admin.site import view_on_site

admin.site.login = secure_admin_login(admin.site.login)
admin.site.site_header = "Undersigned moderation"
admin.site.site_title = "Undersigned"
admin.site.index_title = "Petitions, claims and rosters"
# The wide lists (the review queue, signatures) need the width more than a second copy of the home page's links.
admin.site.enable_nav_sidebar = False

urlpatterns = [
    path("", include("moderation.urls")),
    # Before the admin's own shortcut, which it replaces with a scoped one (moderation/admin/site.py).
    path("admin/r/<int:content_type_id>/<path:object_id>/", admin.site.admin_view(view_on_site)),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("signatures/", include(signature_link_urls)),
    # The language switcher's POST: Django's set_language, without a CSRF token (docs/decisions.md, "Languages"):
    # it only sets the language cookie, and a token would make every page differ per response.
    path("i18n/setlang/", csrf_exempt(set_language), name="set_language"),
    path("", include(petition_urls)),
]
