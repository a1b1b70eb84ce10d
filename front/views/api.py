"""The read-only JSON API: public data only, JSON errors."""

import json

from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404, JsonResponse
from django.urls import reverse
from django.views.decorators.http import require_safe

from front import public_cache
from signatures.counts import COUNTERS, claim_counts

from .pages import BadListQuery, fresh_public_petition, public_petition, signers_page


def api_not_found() -> JsonResponse:
    return JsonResponse({"error": "no such petition"}, status=404)


@require_safe
def api_petition(request, slug: str):
    """The petition's JSON from its kept copy (front.public_cache), with an ETag for conditional GETs."""

    def build() -> tuple[str, None] | None:
        try:
            petition = fresh_public_petition(slug)
        except Http404:
            return None
        return json.dumps(petition_json(petition), cls=DjangoJSONEncoder), None

    copy = public_cache.cached("api", slug, build)
    if copy is None:
        return api_not_found()
    return public_cache.json_response(request, copy)


def petition_json(petition) -> dict:
    """What GET /api/petitions/<slug>/ says (SPEC: JSON API)."""
    return {
        "slug": petition.slug,
        "title": petition.title,
        "kind": petition.kind,
        "status": petition.status,
        "version": petition.current_version.number if petition.current_version else None,
        "counts": {
            "confirmed": petition.signature_count,
            "by_affiliation": {
                row["affiliation"].slug: {name: row[name] for name in COUNTERS} for row in claim_counts(petition)
            },
        },
    }


@require_safe
def api_signers(request, slug: str):
    try:
        petition = public_petition(slug)
    except Http404:
        return api_not_found()
    try:
        listing = signers_page(request, petition)
    except BadListQuery as error:
        return JsonResponse({"error": str(error)}, status=400)
    next_url = None
    if listing["next_query"]:
        path = reverse("petitions:api_signers", args=[slug])
        next_url = request.build_absolute_uri(f"{path}?{listing['next_query']}")
    results = [
        {
            "full_name": s.shown_name,
            "affiliation": s.affiliation.slug if s.affiliation else None,
            "verification": s.verification,
            "role": s.role,
            "organisation": s.organisation,
            "signed_at": s.created_at.isoformat(),
        }
        for s in listing["signers"]
    ]
    return JsonResponse({"results": results, "next": next_url})
