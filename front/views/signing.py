"""Signing: the form's POST (rate-limited), and the emailed confirm and withdraw links."""

import logging

from django.conf import settings
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST
from django_ratelimit.core import get_usage

from front.forms import SignatureForm
from signatures import services, tokens
from signatures.addresses import email_key
from signatures.models import Signature

from .pages import public_petition, render_detail

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
        # The signer's emails are written in the language of the page they signed on.
        details = {**form.signature_details(), "language": translation.get_language() or settings.LANGUAGE_CODE}
        services.sign(petition, details, version=form.cleaned_data["version"])
    except services.PetitionNotOpen:  # it closed while the form was being checked
        return _not_open(request, petition)
    # The same page whether or not this address had signed before: it must not tell who signed.
    return render(request, "signatures/check_email.html", {"petition": petition})


def _not_open(request, petition):
    return render(request, "signatures/not_open.html", {"petition": petition}, status=400)


def rate_limited(request):
    return render(request, "signatures/rate_limited.html", status=429)


def _bad_link(request):
    return render(
        request,
        "signatures/bad_request.html",
        {"message": gettext("This link is not valid or has expired. Sign again to receive a new one.")},
        status=400,
    )


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def confirm(request, token: str):
    """GET (or a mail scanner's HEAD or prefetch) shows one button; only its POST confirms."""
    try:
        signature_id, fingerprint = tokens.read_token(token, tokens.CONFIRM)
        if not fingerprint:
            raise tokens.BadToken("a confirm link names what it confirms")
        if request.method == "POST":
            signature = services.confirm(signature_id, fingerprint=fingerprint)
        else:
            signature = services.confirmable(signature_id, fingerprint=fingerprint)
    except (tokens.BadToken, Signature.DoesNotExist, services.LinkNotValid):
        return _bad_link(request)
    context = {"signature": signature, "petition": signature.petition}
    if request.method != "POST" and signature.status != Signature.Status.CONFIRMED:
        return render(request, "signatures/confirm.html", context)
    return render(request, "signatures/confirmed.html", {**context, "withdraw_token": tokens.withdraw_token(signature)})


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
