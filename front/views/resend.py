"""The "didn't get the email?" page: sends the confirmation link again, and never says whether anyone signed."""

from django.conf import settings
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods
from django_ratelimit.decorators import ratelimit

from front.forms import ResendForm
from signatures import services
from signatures.addresses import email_key

from .signing import rate_limited


def _address(group, request) -> str:
    """The mailbox asked about, so that every spelling of one address shares its limit."""
    return email_key(request.POST.get("email", ""))[:254]


def _per_ip(group, request) -> str:
    """Read when the request comes (not at import), so the setting can change without a restart of the tests."""
    return settings.RESEND_RATE_PER_IP


def _per_address(group, request) -> str:
    return settings.RESEND_RATE_PER_EMAIL


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
@ratelimit(group="resend:ip", key="ip", rate=_per_ip, method="POST", block=False)
@ratelimit(group="resend:email", key=_address, rate=_per_address, method="POST", block=False)
def resend(request):
    """GET shows the form (the petition preselected from `?petition=<slug>`); POST queues the email.

    Every valid POST gets the same page, and does the same work, whether or not the address has an unconfirmed
    signature on that petition: this page must not tell anyone who signed.
    """
    if getattr(request, "limited", False):
        return rate_limited(request)
    if request.method == "POST":
        form = ResendForm(request.POST)
        if form.is_valid():
            services.resend(form.cleaned_data["petition"], form.cleaned_data["email"])
            return render(request, "signatures/resent.html", {"petition": form.cleaned_data["petition"]})
        return render(request, "signatures/resend.html", {"form": form}, status=400)
    slug = request.GET.get("petition", "")
    form = ResendForm(initial={"petition": slug} if len(slug) <= 100 else {})
    return render(request, "signatures/resend.html", {"form": form})
