"""Sharing on Mastodon: the reader names their server; we send them to its share page, text filled in."""

from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

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
