from urllib.parse import urlencode

from django.conf import settings
from django.http import Http404, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST, require_safe
from django_ratelimit.core import is_ratelimited

from petitions.views import api_not_found, public_petition, render_detail
from verification.names import email_key

from . import services, tokens
from .forms import SignatureForm
from .listing import BadCursor, page_after, public_signers
from .models import Signature


def _over_rate(request) -> bool:
    """Counts this attempt against its IP and its address (every attempt counts, valid or not)."""
    if is_ratelimited(request, group="sign:ip", key="ip", rate=settings.SIGN_RATE_PER_IP, increment=True):
        return True
    address = email_key(request.POST.get("email", ""))[:254]
    return bool(address) and is_ratelimited(
        request, group="sign:email", key=lambda *_: address, rate=settings.SIGN_RATE_PER_EMAIL, increment=True
    )


@require_POST
def sign(request, slug: str):
    if _over_rate(request):
        return rate_limited(request)
    petition = public_petition(slug)
    if not petition.accepts_signatures:
        return _not_open(request, petition)
    form = SignatureForm(request.POST, petition=petition)
    if not form.is_valid():
        return render_detail(request, petition, form=form, status=400)
    try:
        services.sign(petition, form.signature_details(), version=form.cleaned_data["version"])
    except services.PetitionNotOpen:  # it closed while the form was being checked
        return _not_open(request, petition)
    # The same page whether or not this address had signed before: it must not tell who signed.
    return render(request, "signatures/check_email.html", {"petition": petition})


def _not_open(request, petition):
    return render(request, "signatures/not_open.html", {"petition": petition}, status=400)


def rate_limited(request, exception=None):
    return render(request, "signatures/rate_limited.html", status=429)


def _filters(request) -> tuple[str, str]:
    verification = request.GET.get("verification", "")
    if verification not in Signature.Verification.values:
        verification = ""
    return request.GET.get("affiliation", "")[:100], verification


def _next_query(affiliation: str, verification: str, cursor: int | None) -> str | None:
    if cursor is None:
        return None
    query = {"affiliation": affiliation, "verification": verification, "cursor": cursor}
    return urlencode({name: value for name, value in query.items() if value})


@require_safe
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
        "next_query": _next_query(affiliation, verification, next_cursor),
        "affiliation": affiliation,
        "verification": verification,
        "affiliations": petition.affiliations.all(),
        "verifications": Signature.Verification.choices,
    }
    return render(request, "signatures/signers.html", context)


@require_safe
def api_signers(request, slug: str):
    try:
        petition = public_petition(slug)
    except Http404:
        return api_not_found()
    affiliation, verification = _filters(request)
    try:
        page, next_cursor = page_after(public_signers(petition, affiliation, verification), request.GET.get("cursor"))
    except BadCursor:
        return JsonResponse({"error": "invalid cursor"}, status=400)
    next_query = _next_query(affiliation, verification, next_cursor)
    next_url = None
    if next_query:
        next_url = request.build_absolute_uri(f"{reverse('petitions:api_signers', args=[slug])}?{next_query}")
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


@require_GET
def confirm(request, token: str):
    try:
        signature_id, fingerprint = tokens.read_token(token, tokens.CONFIRM)
        if not fingerprint:
            raise tokens.BadToken("a confirm link names what it confirms")
        signature = services.confirm(signature_id, fingerprint=fingerprint)
    except (tokens.BadToken, Signature.DoesNotExist, services.LinkNotValid):
        return _bad_link(request)
    return render(
        request,
        "signatures/confirmed.html",
        {"signature": signature, "petition": signature.petition, "withdraw_token": tokens.withdraw_token(signature)},
    )


@require_http_methods(["GET", "POST"])
def withdraw(request, token: str):
    try:
        signature_id, _ = tokens.read_token(token, tokens.WITHDRAW)
    except tokens.BadToken:
        return _bad_link(request)
    signature = Signature.objects.select_related("petition").filter(pk=signature_id).first()
    if signature is None or signature.status == Signature.Status.REJECTED:
        return _bad_link(request)
    if request.method == "POST":
        try:
            signature = services.withdraw(signature.pk)
        except services.LinkNotValid:
            return _bad_link(request)
        return render(request, "signatures/withdrawn.html", {"petition": signature.petition})
    return render(request, "signatures/withdraw.html", {"signature": signature, "petition": signature.petition})
