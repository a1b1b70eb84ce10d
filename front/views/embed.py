"""The embeddable counter: the only page other sites may put in a frame."""

from functools import wraps

from django.shortcuts import render
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import require_safe

from signatures.counts import claim_counts

from .pages import public_petition

# A complete policy for the embed alone. Every other page is DENY for frames (X_FRAME_OPTIONS, and the
# site-wide Content-Security-Policy's `frame-ancestors 'none'` once django-csp is installed). django-csp's
# middleware leaves a response that already carries a Content-Security-Policy header alone, so this one
# stands whether or not django-csp is installed: whoever changes the site-wide policy, keep
# `frame-ancestors *` here and nowhere else.
EMBED_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors *"
)


def frameable_anywhere(view):
    """Let any site frame this view: no X-Frame-Options, and a CSP of its own with `frame-ancestors *`."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        response["Content-Security-Policy"] = EMBED_POLICY
        return response

    return xframe_options_exempt(wrapped)


@frameable_anywhere
@require_safe
def embed(request, slug: str):
    petition = public_petition(slug)
    return render(request, "petitions/embed.html", {"petition": petition, "counts": claim_counts(petition)})
