"""Sharing: the Mastodon hand-off (the reader names their server; we send them to its share page, text filled in)
and the picture link previews show."""

from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from front.share_image import ImageUnavailable, share_png
from front.sharing import BadServer, mastodon_share_url

from .pages import public_petition


@require_safe
def share_on_mastodon(request, slug: str):
    petition = public_petition(slug)
    try:
        target = mastodon_share_url(request.GET.get("server", ""), petition)
    except BadServer:
        message = _("Type the address of your Mastodon server, such as mastodon.social, and try again.")
        return render(request, "signatures/bad_request.html", {"message": message}, status=400)
    return HttpResponseRedirect(target)


@require_safe
def share_image(request, slug: str):
    petition = public_petition(slug)
    try:
        png = share_png(petition)
    except ImageUnavailable:
        raise Http404("No share image on this server.")
    response = HttpResponse(png, content_type="image/png")
    response["Cache-Control"] = "public, max-age=600"
    return response


@require_safe
def favicon(request):
    """Browsers and feed readers ask for /favicon.ico whatever the page says: send them to the SVG icon.

    Resolved per request, not when the URLs load: under STATIC_MANIFEST the hashed name exists only
    after `collectstatic`, which runs after the URLs are first loaded (`manage.py check`, `migrate`)."""
    return redirect(static("front/favicon.svg"), permanent=False)
