"""The public pages: petitions, one petition with its signing form, and its signers."""

from urllib.parse import urlencode

from django.contrib.auth.models import AnonymousUser
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.views.decorators.http import require_safe

from front import public_cache
from front.forms import SignatureForm
from petitions.models import Petition
from signatures.counts import claim_counts, fold
from signatures.listing import BadCursor, first, page_after, public_signers
from signatures.models import Signature

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
    """The petition page from its kept copy (front.public_cache): no query while the copy is fresh."""

    def build() -> tuple[str, float | None]:
        petition = fresh_public_petition(slug)
        context = detail_context(petition, SignatureForm(petition=petition))
        # The kept copy is every reader's: rendered as for an anonymous visitor, without this one's messages,
        # and with a placeholder where each response puts its reader's CSRF token.
        context.update(csrf_token=public_cache.TOKEN_PLACEHOLDER, user=AnonymousUser(), messages=[])
        body = render_to_string("petitions/detail.html", context, request)
        closes = petition.closes_at.timestamp() if petition.accepts_signatures and petition.closes_at else None
        return body, closes  # the form must go when the petition closes, not a lag later

    return public_cache.page_response(request, public_cache.cached("page", slug, build))


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
    }


def render_detail(request, petition: Petition, form: SignatureForm, status: int = 200):
    """The petition page with the signer's form and its errors (the signing view's answer to a bad form)."""
    return render(request, "petitions/detail.html", detail_context(petition, form), status=status)


class BadListQuery(ValueError):
    """A signers-list query no link of ours produces: an unknown filter value or a malformed cursor."""


def signers_page(request, petition: Petition) -> dict:
    """One page of the public signers, as the HTML list and the API both show it."""
    affiliation = request.GET.get("affiliation", "")
    verification = request.GET.get("verification", "")
    if len(affiliation) > 100 or (verification and verification not in Signature.Verification.values):
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
        return render(request, "signatures/bad_request.html", {"message": "That page link is not valid."}, status=400)
    context = {
        "petition": petition,
        "affiliations": petition.affiliations.all(),
        "verifications": Signature.Verification.choices,
        **listing,
    }
    return render(request, "signatures/signers.html", context)
