"""A copy for the press: the exact text signed, its SHA-256, and the public signatories, as HTML and as PDF.

Both are built from the same templates, in chunks: the signatories are read by key (id order, a page of
`CHUNK` at a time, on the public-list index), so neither holds every signer in memory, and no COUNT runs:
the totals come from the maintained counters. A PDF must be laid out whole (WeasyPrint), which is slow at
tens of thousands of names, so it is cached (see `letter_pdf`).
"""

import logging
import time
from collections.abc import Iterator

from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.cache import cache
from django.template.loader import render_to_string
from django.urls import reverse

from petitions.models import Petition
from signatures.counts import claim_counts
from signatures.listing import public_signers

from .sharing import absolute

logger = logging.getLogger(__name__)

CHUNK = 500
# A busy letter changes with every signature: its PDF is laid out again at most this often.
REFRESH_SECONDS = 60


class PdfUnavailable(RuntimeError):
    """WeasyPrint or its system libraries (Pango) are not installed here, or another request is laying
    out this PDF and there is no earlier copy to serve yet."""


def signatories(petition: Petition) -> Iterator[list]:
    """The public signatories in the order they signed, `CHUNK` at a time, read by key (never OFFSET)."""
    signers = public_signers(petition).select_related("version").order_by("id")
    last = 0
    while True:
        chunk = list(signers.filter(id__gt=last)[:CHUNK])
        if not chunk:
            return
        yield chunk
        last = chunk[-1].pk


def print_context(petition: Petition, *, for_pdf: bool = False) -> dict:
    version = petition.current_version
    earlier = list(petition.versions.filter(number__lt=version.number).order_by("number")) if version else []
    return {
        "petition": petition,
        "version": version,
        "earlier_versions": earlier,
        "counts": claim_counts(petition),
        "page_url": absolute(petition.get_absolute_url()),
        "text_url": absolute(reverse("petitions:text", args=[petition.slug])),
        "for_pdf": for_pdf,
    }


def print_html(petition: Petition, *, for_pdf: bool = False, request=None) -> Iterator[str]:
    """The printable copy, in pieces: the head and text, one piece per chunk of signatories, the end.

    The PDF lists at most LETTER_PDF_MAX_SIGNATORIES (laying out 10,000 names takes WeasyPrint minutes) and
    then says where the complete list is; the page itself lists everyone.
    """
    context = print_context(petition, for_pdf=for_pdf)
    limit = settings.LETTER_PDF_MAX_SIGNATORIES if for_pdf else None
    yield render_to_string("petitions/print_start.html", context, request=request)
    listed, truncated = 0, False
    for chunk in signatories(petition):
        if limit is not None and listed + len(chunk) > limit:
            chunk, truncated = chunk[: limit - listed], True
        listed += len(chunk)
        if chunk:
            yield render_to_string("petitions/_print_signatories.html", {**context, "signers": chunk}, request=request)
        if truncated:
            break
    end = {
        **context,
        "listed": listed,
        "truncated": truncated,
        "print_url": absolute(reverse("petitions:print", args=[petition.slug])),
    }
    yield render_to_string("petitions/print_end.html", end, request=request)


class _NoFetching:
    """WeasyPrint's URL fetcher: fetches nothing. A letter's Markdown may link images on any host; the
    server must never fetch them (that would let a letter's author make our server call internal URLs)."""

    _fail_on_errors = False

    def __call__(self, url):
        raise ValueError(f"not fetched: {url}")


def pdf_cache_key(petition: Petition) -> str:
    """What the PDF shows changes with the text's version, the confirmed count and the per-affiliation
    counts; a badge that changes without moving a counter shows up when the cached copy expires."""
    tallies = ",".join(
        f"{row['affiliation'].pk}:{row['claimed']}:{row['verified']}:{row['disputed']}"
        for row in claim_counts(petition)
    )
    version = petition.current_version.number if petition.current_version else 0
    return f"letter-pdf:{petition.pk}:{version}:{petition.signature_count}:{tallies}"


def render_pdf(petition: Petition) -> bytes:
    return pdf_from_html("".join(print_html(petition, for_pdf=True)))


def pdf_from_html(html: str) -> bytes:
    """Lays out `html` with the print stylesheet, fetching nothing from anywhere (see _NoFetching)."""
    try:
        from weasyprint import CSS, HTML
    except (ImportError, OSError) as error:  # OSError: Pango missing on this machine
        raise PdfUnavailable(str(error)) from error
    stylesheet = CSS(filename=finders.find("front/print.css"), url_fetcher=_NoFetching())
    document = HTML(string=html, base_url=f"{settings.SITE_URL}/", url_fetcher=_NoFetching())
    return document.write_pdf(stylesheets=[stylesheet])


def letter_pdf(petition: Petition) -> bytes:
    """The PDF, from the cache when the letter has not changed since it was laid out.

    One copy per letter is kept (`letter-pdf:<id>`, for `LETTER_PDF_CACHE_SECONDS`) with the key it was made
    for; a copy younger than REFRESH_SECONDS is served even if a signature arrived since. While one request
    lays out a new copy, others get the previous one rather than each laying out their own (many at once
    would take every web thread); with no copy yet they get PdfUnavailable (503, try again).
    """
    key = pdf_cache_key(petition)
    slot, lock = f"letter-pdf:{petition.pk}", f"letter-pdf-lock:{petition.pk}"
    try:
        cached = cache.get(slot)
        if cached and (cached["key"] == key or time.time() - cached["made"] < REFRESH_SECONDS):
            return cached["pdf"]
        locked = cache.add(lock, 1, timeout=settings.LETTER_PDF_LOCK_SECONDS)
    except Exception as error:  # the cache is down: without the lock, every request would lay out its own copy
        logger.exception("cache unavailable; the letter's PDF is not served")
        raise PdfUnavailable("cache unavailable") from error
    if not locked:
        if cached:
            return cached["pdf"]
        raise PdfUnavailable("another request is laying out this PDF")
    try:
        pdf = render_pdf(petition)
        cache.set(slot, {"key": key, "pdf": pdf, "made": time.time()}, timeout=settings.LETTER_PDF_CACHE_SECONDS)
        return pdf
    finally:
        cache.delete(lock)
