"""The "didn't get the email?" page: sends the confirmation link again, and never says whether anyone signed."""

import logging

from django.conf import settings
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods
from django_ratelimit.core import get_usage

from front.forms import ResendForm
from signatures import services
from signatures.addresses import email_key

from .signing import rate_limited

logger = logging.getLogger(__name__)


def _address(group, request) -> str:
    """The mailbox asked about, so that every spelling of one address shares its limit."""
    return email_key(request.POST.get("email", ""))[:254]


def _seconds_until_allowed(request) -> int | None:
    """Counts this POST against its IP and against its address (both, valid or not).

    None if within both limits, else how long until the tighter window ends. Its own django-ratelimit groups,
    apart from signing's. If the cache is down the page keeps answering (logged), as signing does.
    """
    limits = [
        ("resend:ip", "ip", settings.RESEND_RATE_PER_IP),
        ("resend:email", _address, settings.RESEND_RATE_PER_EMAIL),
    ]
    try:
        usages = [
            get_usage(request, group, key=key, rate=rate, method="POST", increment=True) for group, key, rate in limits
        ]
    except Exception:  # the cache is down: answer rather than fail
        logger.exception("rate-limit cache unavailable; the resend page is not rate-limited")
        return None
    waits = [max(usage["time_left"], 1) for usage in usages if usage and usage["should_limit"]]
    return max(waits) if waits else None


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def resend(request):
    """GET shows the form (the petition preselected from `?petition=<slug>`); POST queues the email.

    Every valid POST gets the same page, and does the same work, whether or not the address has an unconfirmed
    signature on that petition: this page must not tell anyone who signed.
    """
    if request.method == "POST":
        wait = _seconds_until_allowed(request)
        if wait is not None:
            response = rate_limited(request)
            response["Retry-After"] = str(wait)
            return response
        form = ResendForm(request.POST)
        if form.is_valid():
            services.resend(form.cleaned_data["petition"], form.cleaned_data["email"])
            return render(request, "signatures/resent.html", {"petition": form.cleaned_data["petition"]})
        return render(request, "signatures/resend.html", {"form": form}, status=400)
    slug = request.GET.get("petition", "")
    form = ResendForm(initial={"petition": slug} if len(slug) <= 100 else {})
    return render(request, "signatures/resend.html", {"form": form})
