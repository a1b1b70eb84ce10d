"""The embeddable counter: the only page other sites may frame (front.framing.frameable lifts
X-Frame-Options and sets the Content-Security-Policy's `frame-ancestors *` for it alone)."""

from django.shortcuts import render
from django.views.decorators.http import require_safe

from front.framing import frameable
from signatures.counts import claim_counts

from .pages import public_petition


@frameable
@require_safe
def embed(request, slug: str):
    petition = public_petition(slug)
    return render(request, "petitions/embed.html", {"petition": petition, "counts": claim_counts(petition)})
