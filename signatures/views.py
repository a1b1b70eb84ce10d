import logging
from urllib.parse import urlencode

from django.conf import settings
from django.http import Http404, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST, require_safe
from django_ratelimit.core import get_usage

from petitions.views import api_not_found, public_petition, render_detail
from verification.names import email_key

from . import services, tokens
from .forms import SignatureForm
from .listing import BadCursor, page_after, public_signers
from .models import Signature

logger = logging.getLogger(__name__)


def _seconds_until_allowed(request) -> int | None:
    """Counts this attempt against its IP and its address (every attempt counts, valid or not).

    None if the attempt is within both limits, else how long until the tighter window ends.
    """
    address = email_key(request.POST.get("email", ""))[:254]
    limits = [("sign:ip", "ip", settings.SIGN_RATE_PER_IP)]
    if address:
        limits.append(("sign:email", lambda *_: address, settings.SIGN_RATE_PER_EMAIL))
    for group, key, rate in limits:
        try:
            usage = get_usage(request, group=group, key=key, rate=rate, increment=True)
        except Exception:  # the cache is down: keep accepting signatures rather than refuse everyone
            logger.exception("rate-limit cache unavailable; signing is not rate-limited")
            return None
        if usage and usage["should_limit"]:
            return max(usage["time_left"], 1)
    return None


@never_cache
@require_POST
def sign(request, slug: str):
    wait = _seconds_until_allowed(request)
    if wait is not None:
        response = rate_limited(request)
        response["Retry-After"] = str(wait)
        return response
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


def rate_limited(request):
    return render(request, "signatures/rate_limited.html", status=429)


class BadListQuery(ValueError):
    """A signers-list query no link of ours produces: an unknown filter value or a malformed cursor."""


def _signers_page(request, petition) -> dict:
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
        listing = _signers_page(request, petition)
    except BadListQuery:
        return render(request, "signatures/bad_request.html", {"message": "That page link is not valid."}, status=400)
    context = {
        "petition": petition,
        "affiliations": petition.affiliations.all(),
        "verifications": Signature.Verification.choices,
        **listing,
    }
    return render(request, "signatures/signers.html", context)


@require_safe
def api_signers(request, slug: str):
    try:
        petition = public_petition(slug)
    except Http404:
        return api_not_found()
    try:
        listing = _signers_page(request, petition)
    except BadListQuery as error:
        return JsonResponse({"error": str(error)}, status=400)
    next_url = None
    if listing["next_query"]:
        path = reverse("petitions:api_signers", args=[slug])
        next_url = request.build_absolute_uri(f"{path}?{listing['next_query']}")
    results = [
        {
            "full_name": s.full_name,
            "affiliation": s.affiliation.slug if s.affiliation else None,
            "verification": s.verification,
            "role": s.role,
            "organisation": s.organisation,
            "signed_at": s.created_at.isoformat(),
        }
        for s in listing["signers"]
    ]
    return JsonResponse({"results": results, "next": next_url})


def _bad_link(request):
    return render(
        request,
        "signatures/bad_request.html",
        {"message": "This link is not valid or has expired. Sign again to receive a new one."},
        status=400,
    )


@never_cache
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


@never_cache
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
