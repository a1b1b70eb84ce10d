from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST
from django_ratelimit.decorators import ratelimit

from petitions.views import detail, public_petition

from . import services, tokens
from .forms import SignatureForm
from .listing import BadCursor, page_after, public_signers
from .models import Signature


def _rate_per_ip(group, request) -> str:
    return settings.SIGN_RATE_PER_IP


def _rate_per_email(group, request) -> str:
    return settings.SIGN_RATE_PER_EMAIL


def _email_key(group, request) -> str:
    return request.POST.get("email", "").strip().lower()


@require_POST
@ratelimit(key="ip", rate=_rate_per_ip, method="POST", block=True)
@ratelimit(key=_email_key, rate=_rate_per_email, method="POST", block=True)
def sign(request, slug: str):
    petition = public_petition(slug)
    if not petition.accepts_signatures:
        return render(request, "signatures/not_open.html", {"petition": petition}, status=400)
    form = SignatureForm(request.POST, petition=petition)
    if not form.is_valid():
        return detail(request, slug, form=form, status=400)
    services.sign(petition, form.signature_details(), version=form.cleaned_data["version"])
    return render(request, "signatures/check_email.html", {"petition": petition})


def rate_limited(request, exception=None):
    return render(request, "signatures/rate_limited.html", status=429)


def _filters(request) -> tuple[str, str]:
    verification = request.GET.get("verification", "")
    if verification not in Signature.Verification.values:
        verification = ""
    return request.GET.get("affiliation", "")[:100], verification


def signers(request, slug: str):
    petition = public_petition(slug)
    affiliation, verification = _filters(request)
    try:
        page, next_cursor = page_after(public_signers(petition, affiliation, verification), request.GET.get("cursor"))
    except BadCursor:
        return render(request, "signatures/bad_request.html", {"message": "That page link is not valid."}, status=400)
    context = {
        "petition": petition,
        "signers": page,
        "next_cursor": next_cursor,
        "affiliation": affiliation,
        "verification": verification,
        "affiliations": petition.affiliations.all(),
        "verifications": Signature.Verification.choices,
    }
    return render(request, "signatures/signers.html", context)


def api_signers(request, slug: str):
    petition = public_petition(slug)
    affiliation, verification = _filters(request)
    try:
        page, next_cursor = page_after(public_signers(petition, affiliation, verification), request.GET.get("cursor"))
    except BadCursor:
        return JsonResponse({"error": "invalid cursor"}, status=400)
    next_url = None
    if next_cursor is not None:
        query = request.GET.copy()
        query["cursor"] = str(next_cursor)
        next_url = request.build_absolute_uri(f"{reverse('petitions:api_signers', args=[slug])}?{query.urlencode()}")
    results = [
        {
            "full_name": s.full_name,
            "affiliation": s.affiliation.slug if s.affiliation else None,
            "verification": s.verification,
            "role": s.role,
            "organisation": s.organisation,
            "signed_at": s.created_at.isoformat(),
        }
        for s in page
    ]
    return JsonResponse({"results": results, "next": next_url})


def _bad_link(request):
    return render(
        request,
        "signatures/bad_request.html",
        {"message": "This link is not valid or has expired. Sign again to receive a new one."},
        status=400,
    )


def confirm(request, token: str):
    try:
        signature_id = tokens.read_token(token, tokens.CONFIRM)
    except tokens.BadToken:
        return _bad_link(request)
    signature = Signature.objects.filter(pk=signature_id).first()
    if signature is None or signature.status == Signature.Status.REJECTED:
        return _bad_link(request)
    signature = services.confirm(signature.pk)
    withdraw_token = tokens.make_token(signature.pk, tokens.WITHDRAW)
    return render(
        request,
        "signatures/confirmed.html",
        {"signature": signature, "petition": signature.petition, "withdraw_token": withdraw_token},
    )


@require_http_methods(["GET", "POST"])
def withdraw(request, token: str):
    try:
        signature_id = tokens.read_token(token, tokens.WITHDRAW)
    except tokens.BadToken:
        return _bad_link(request)
    signature = Signature.objects.select_related("petition").filter(pk=signature_id).first()
    if signature is None or signature.status == Signature.Status.REJECTED:
        return _bad_link(request)
    if request.method == "POST":
        signature = services.withdraw(signature.pk)
        return render(request, "signatures/withdrawn.html", {"petition": signature.petition})
    return render(request, "signatures/withdraw.html", {"signature": signature, "petition": signature.petition})
