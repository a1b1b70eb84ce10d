"""The public pages: petitions, one petition with its signing form, and its signers."""

from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.utils.translation import gettext
from django.views.decorators.http import require_safe

from front import public_cache
from front.forms import SignatureForm
from front.sharing import share_links
from petitions.models import Petition
from signatures.counts import claim_counts, fold
from signatures.listing import PUBLIC_VERIFICATIONS, BadCursor, first, page_after, public_signers
from signatures.models import Signature
from teams.scope import can_see_draft

RECENT_SIGNERS = 10
INDEX_SIZE = 100


def public_petition(slug: str) -> Petition:
    """Any petition the public may see: everything but drafts."""
    petition = get_object_or_404(Petition.objects.select_related("current_version"), slug=slug)
    if not petition.is_public:
        raise Http404("No such petition.")
    return petition


@require_safe
def index(request):
    petitions = Petition.objects.filter(status=Petition.Status.OPEN).order_by("-published_at", "-id")[:INDEX_SIZE]
    return render(request, "petitions/index.html", {"petitions": petitions})


@require_safe
def detail(request, slug: str):
    """The petition's page. A public one from its kept copy (front.public_cache: no query while it is fresh);
    a draft answers only its team (a preview at its real address, never kept), 404 to anyone else."""

    def build() -> tuple[str, float | None]:
        petition = fresh_public_petition(slug)
        context = detail_context(petition, SignatureForm(petition=petition))
        # The kept copy is every reader's: rendered as for an anonymous visitor, without this one's messages,
        # and with a placeholder where each response puts its reader's CSRF token.
        context.update(csrf_token=public_cache.TOKEN_PLACEHOLDER, user=AnonymousUser(), messages=[])
        body = render_to_string("petitions/detail.html", context, request)
        closes = petition.closes_at.timestamp() if petition.accepts_signatures and petition.closes_at else None
        return body, closes  # the form must go when the petition closes, not a lag later

    try:
        copy = public_cache.cached("page", slug, build)
    except Http404:
        petition = Petition.objects.select_related("current_version").filter(slug=slug).first()
        if petition is None or petition.is_public or not can_see_draft(request.user, petition):
            raise
        response = render_detail(request, petition)
        response["Cache-Control"] = "private, no-store"  # a draft is never kept by a shared cache
        return response
    return public_cache.page_response(request, copy)


def fresh_public_petition(slug: str) -> Petition:
    """The public petition with its parked counter changes folded in first (see signatures.counts.fold)."""
    petition = public_petition(slug)
    if fold(petition.pk):
        petition.refresh_from_db(fields=["signature_count"])
    return petition


def detail_context(petition: Petition, form: SignatureForm) -> dict:
    return {
        "petition": petition,
        "counts": claim_counts(petition),
        "recent": first(public_signers(petition), RECENT_SIGNERS),
        "form": form,
        "share": share_links(petition),
        "language_next": petition.get_absolute_url(),  # the switcher, also from the re-rendered form (a POST)
    }


def render_detail(request, petition: Petition, form: SignatureForm | None = None, status: int = 200):
    """The petition page rendered for this request: a draft's preview, or the signer's form with its errors."""
    context = detail_context(petition, form or SignatureForm(petition=petition))
    return render(request, "petitions/detail.html", context, status=status)


class BadListQuery(ValueError):
    """A signers-list query no link of ours produces: an unknown filter value or a malformed cursor."""


def signers_page(request, petition: Petition) -> dict:
    """One page of the public signers, as the HTML list and the API both show it."""
    affiliation = request.GET.get("affiliation", "")
    verification = request.GET.get("verification", "")
    if len(affiliation) > 100 or (verification and verification not in PUBLIC_VERIFICATIONS):
        raise BadListQuery("invalid filter")
    try:
        page, cursor = page_after(public_signers(petition, affiliation, verification), request.GET.get("cursor"))
    except BadCursor:
        raise BadListQuery("invalid cursor")
    next_query = None
    if cursor is not None:
        query = {"affiliation": affiliation, "verification": verification, "cursor": cursor}
        next_query = urlencode({name: value for name, value in query.items() if value})
    return {"signers": page, "next_query": next_query, "affiliation": affiliation, "verification": verification}


@require_safe
def signers(request, slug: str):
    petition = public_petition(slug)
    try:
        listing = signers_page(request, petition)
    except BadListQuery:
        message = gettext("That page link is not valid.")
        return render(request, "signatures/bad_request.html", {"message": message}, status=400)
    context = {
        "petition": petition,
        "affiliations": petition.affiliations.all(),
        "verifications": [
            (value, label) for value, label in Signature.Verification.choices if value in PUBLIC_VERIFICATIONS
        ],
        **listing,
    }
    return render(request, "signatures/signers.html", context)


@require_safe
def privacy(request):
    """What we keep, for how long, and how to be forgotten: the figures are the configured ones."""
    context = {
        "unconfirmed_days": settings.UNCONFIRMED_RETENTION_DAYS,
        "withdrawn_days": settings.WITHDRAWN_RETENTION_DAYS,
        "rejected_days": settings.REJECTED_RETENTION_DAYS,
        # The abuse defences' retention of keyed IP-range hashes (their setting; 30 days by default).
        "ip_days": getattr(settings, "ABUSE_RETENTION_DAYS", 30),
        "confirm_days": settings.SIGNATURE_CONFIRM_MAX_AGE // 86400,
        "link_days": settings.SIGNATURE_ERASE_MAX_AGE // 86400,
    }
    return render(request, "privacy.html", context)
