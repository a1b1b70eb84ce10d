"""Signing: the form's POST (behind the abuse defences), its challenge, and the emailed confirm and withdraw links."""

import logging

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from abuse import intake, networks, proof
from front import kept_petitions
from front.forms import SignatureForm
from signatures import lifetimes, services, tokens
from signatures.models import Signature

from .pages import public_petition, render_detail

logger = logging.getLogger(__name__)


def client_ip(request):
    """The client's address: REMOTE_ADDR, or behind a proxy the header named by RATELIMIT_IP_META_KEY (which the
    production server keeps from the proxies in FORWARDED_ALLOW_IPS only: undersigned.serving); REMOTE_ADDR when
    the request has no such header (a client that reached the web server directly)."""
    meta_key = settings.RATELIMIT_IP_META_KEY or "REMOTE_ADDR"
    return networks.parse_ip(request.META.get(meta_key) or request.META.get("REMOTE_ADDR", ""))


@never_cache
@require_POST
def sign(request, slug: str):
    petition = kept_petitions.signing_petition(slug)  # seconds old at most: the signing statement checks it is open
    screening = intake.screen(
        intake.Attempt(
            petition,
            email=request.POST.get("email", ""),
            ip=client_ip(request),
            challenge=request.POST.get("challenge", "")[: proof.MAX_TOKEN_LENGTH + 1],
            nonce=request.POST.get("nonce", "")[: proof.MAX_NONCE_LENGTH + 1],
        )
    )
    if screening.wait is not None:
        response = rate_limited(request)
        response["Retry-After"] = str(screening.wait)
        return response
    if not petition.accepts_signatures:
        return _not_open(request, petition)
    form = SignatureForm(request.POST, petition=petition)
    if not form.is_valid():
        return render_detail(request, petition, form=form, status=400)
    if screening.needs_challenge:
        form.add_error(None, CHALLENGE_NEEDED)
        return render_detail(request, petition, form=form, status=400)
    try:
        intake.sign(
            petition,
            # The signer's emails are written in the language of the page they signed on.
            {**form.signature_details(), "language": translation.get_language() or settings.LANGUAGE_CODE},
            screening,
            version=form.cleaned_data["version"],
            honeypot=form.cleaned_data["website"],
        )
    except services.PetitionNotOpen:  # it closed since this process read it, or while the form was being checked
        kept_petitions.forget(slug)
        return _not_open(request, public_petition(slug))  # as it is now, to say why
    # The same page whether or not this address had signed before, or was parked: it must not tell.
    return check_email(request, petition)


# The "check your email" page, kept by each process per language and petition: it shows nothing of the signer or the
# request (no CSRF token, no session, no user), only the petition's title and address, so rendering it again for
# every signature (a seventh of a signing's CPU) would only make the same text. A new title makes a new key; the
# memory is bounded (CHECK_EMAIL_KEPT pages, then it starts afresh).
CHECK_EMAIL_KEPT = 256
_check_email_pages: dict[tuple[str, str, str], str] = {}


def check_email(request, petition) -> HttpResponse:
    key = (translation.get_language() or settings.LANGUAGE_CODE, petition.slug, petition.title)
    body = _check_email_pages.get(key)
    if body is None:
        body = render_to_string("signatures/check_email.html", {"petition": petition}, request)
        if settings.DEBUG:  # templates being edited
            return HttpResponse(body)
        if len(_check_email_pages) >= CHECK_EMAIL_KEPT:
            _check_email_pages.clear()
        _check_email_pages[key] = body
    return HttpResponse(body)


CHALLENGE_NEEDED = _(
    "Many signatures are arriving for this letter right now, so your browser must solve a short puzzle "
    "before we store yours. Please turn on JavaScript, reload this page and sign again (or come back in an hour)."
)


@never_cache
@require_GET
def challenge(request, slug: str):
    """What the signing form's script asks before sending: is the challenge on, and a fresh one if so."""
    petition = public_petition(slug)
    if not intake.challenge_required(petition):
        return JsonResponse({"required": False})
    return JsonResponse(
        {"required": True, "challenge": proof.issue(petition.pk), "difficulty": settings.SIGN_CHALLENGE_DIFFICULTY}
    )


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
    links = {"withdraw_token": tokens.withdraw_token(signature), "erase_token": tokens.erase_token(signature)}
    return render(request, "signatures/confirmed.html", {**context, **links})


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def withdraw(request, token: str):
    """The link withdraws the signature as it was when the link was sent: after a re-sign it is dead."""
    try:
        signature_id, fingerprint = tokens.read_token(token, tokens.WITHDRAW)
        if not fingerprint:
            raise tokens.BadToken("a withdraw link names what it withdraws")
        if request.method == "POST":
            signature = services.withdraw(signature_id, fingerprint=fingerprint)
            return render(request, "signatures/withdrawn.html", {"petition": signature.petition})
        signature = services.withdrawable(signature_id, fingerprint)
    except (tokens.BadToken, Signature.DoesNotExist, services.LinkNotValid):
        return _bad_link(request)
    context = {"signature": signature, "petition": signature.petition, "erase_token": tokens.erase_token(signature)}
    return render(request, "signatures/withdraw.html", context)


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def erase(request, token: str):
    """The signer's erasure: GET shows what will happen and one button; only the POST erases."""
    try:
        signature_id, fingerprint = tokens.read_token(token, tokens.ERASE)
        if request.method == "POST":
            petition = lifetimes.erase(signature_id, fingerprint)
            return render(request, "signatures/erased.html", {"petition": petition})
        signature = lifetimes.erasable(signature_id, fingerprint)
    except (tokens.BadToken, lifetimes.LinkNotValid):
        return render(
            request,
            "signatures/bad_request.html",
            {"message": _("This link is not valid, has expired, or was used already. Nothing was changed.")},
            status=400,
        )
    return render(request, "signatures/erase.html", {"signature": signature, "petition": signature.petition})
