"""A copy for the press: the printable page, its PDF, and the exact text behind the shown SHA-256."""

from django.conf import settings
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from front import press

from .pages import public_petition


def _signed_petition(slug: str):
    """A public petition with a text to print (every published one has a version)."""
    petition = public_petition(slug)
    if petition.current_version is None:
        raise Http404("This petition has no published text.")
    return petition


@require_safe
def print_copy(request, slug: str):
    """Streamed: the text, then the signatories a chunk at a time, so a large letter starts at once."""
    petition = _signed_petition(slug)
    return StreamingHttpResponse(press.print_html(petition, request=request), content_type="text/html; charset=utf-8")


@require_safe
def letter_text(request, slug: str):
    """The exact text whose SHA-256 the printed copy shows (`curl … | sha256sum` to check it)."""
    version = _signed_petition(slug).current_version
    response = HttpResponse(version.hashed_text.encode("utf-8"), content_type="text/plain; charset=utf-8")
    response["X-Content-SHA256"] = version.sha256
    return response


@require_safe
def letter_pdf(request, slug: str):
    petition = _signed_petition(slug)
    try:
        pdf = press.letter_pdf(petition)
    except press.PdfUnavailable:
        response = render(request, "petitions/pdf_unavailable.html", {"petition": petition}, status=503)
        response["Retry-After"] = str(settings.LETTER_PDF_LOCK_SECONDS)
        return response
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{petition.slug}.pdf"'
    return response
