from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_safe

from signatures.forms import SignatureForm
from signatures.listing import public_signers

from .models import Petition

RECENT_SIGNERS = 10
INDEX_SIZE = 100


def public_petition(slug: str) -> Petition:
    """Any petition the public may see: everything but drafts."""
    petition = get_object_or_404(Petition.objects.select_related("current_version"), slug=slug)
    if not petition.is_public:
        raise Http404("No such petition.")
    return petition


def claim_counts(petition: Petition) -> list[dict]:
    """Claimed and verified per offered affiliation, from the maintained tallies (zeros included)."""
    tallies = {t.affiliation_id: t for t in petition.tallies.all()}
    return [
        {
            "affiliation": affiliation,
            "claimed": tallies[affiliation.pk].claimed if affiliation.pk in tallies else 0,
            "verified": tallies[affiliation.pk].verified if affiliation.pk in tallies else 0,
        }
        for affiliation in petition.affiliations.all()
    ]


@require_safe
def index(request):
    petitions = Petition.objects.filter(status=Petition.Status.OPEN).order_by("-published_at", "-id")[:INDEX_SIZE]
    return render(request, "petitions/index.html", {"petitions": petitions})


@require_safe
def detail(request, slug: str):
    return render_detail(request, public_petition(slug))


def render_detail(request, petition: Petition, form: SignatureForm | None = None, status: int = 200):
    """The petition page; the signing view re-renders it with the signer's form and its errors."""
    context = {
        "petition": petition,
        "counts": claim_counts(petition),
        "recent": public_signers(petition)[:RECENT_SIGNERS],
        "form": form or SignatureForm(petition=petition),
    }
    return render(request, "petitions/detail.html", context, status=status)


def api_not_found() -> JsonResponse:
    return JsonResponse({"error": "no such petition"}, status=404)


@require_safe
def api_petition(request, slug: str):
    try:
        petition = public_petition(slug)
    except Http404:
        return api_not_found()
    return JsonResponse(
        {
            "slug": petition.slug,
            "title": petition.title,
            "kind": petition.kind,
            "status": petition.status,
            "version": petition.current_version.number if petition.current_version else None,
            "counts": {
                "confirmed": petition.signature_count,
                "by_affiliation": {
                    row["affiliation"].slug: {"claimed": row["claimed"], "verified": row["verified"]}
                    for row in claim_counts(petition)
                },
            },
        }
    )
