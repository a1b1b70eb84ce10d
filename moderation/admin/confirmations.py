"""The pages that ask before a decision runs: what a spam rejection changes, how many claims a bulk decision
changes. They only show; the decision runs when the page's button posts back (`confirmed`)."""

from django.contrib.admin import helpers
from django.template.response import TemplateResponse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from moderation.decisions import Decision, would_change
from signatures import counts
from signatures.models import AffiliationTally, Signature

CONFIRMED = "confirmed"
SHOWN = 20  # the bulk page lists this many of the signatures it will change, then says how many more


def is_confirmed(request) -> bool:
    return request.POST.get(CONFIRMED) == "yes"


def safe_next(request) -> str | None:
    """Where the moderator was before the confirmation page (a URL of ours, or nothing)."""
    url = request.POST.get("next", "")
    ok = url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()}, require_https=request.is_secure())
    return url if url and ok else None


def count_changes(signature: Signature) -> list[dict]:
    """What rejecting this signature takes off the public counts: [{"what", "now", "after"}]."""
    before = counts.Snapshot.of(signature)
    if not before.counted:
        return []
    petition = signature.petition
    rows = [{"what": _("confirmed signatures on “%s”") % petition.title, "now": petition.signature_count}]
    if signature.affiliation_id:
        tally = AffiliationTally.objects.filter(petition=petition, affiliation_id=signature.affiliation_id).first()
        name = signature.affiliation.name
        rows.append({"what": _("claiming %s") % name, "now": tally.claimed if tally else 0})
        if before.verified:
            rows.append({"what": _("verified as %s") % name, "now": tally.verified if tally else 0})
        if before.disputed:
            rows.append({"what": _("disputed for %s") % name, "now": tally.disputed if tally else 0})
    return [row | {"after": max(row["now"] - 1, 0)} for row in rows]


def confirm_spam(model_admin, request, signature: Signature, next_url: str | None) -> TemplateResponse:
    """The page between "Reject as spam" and the rejection: who, what stops counting, and that it can be undone."""
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.opts,
        "title": _("Reject this signature as spam?"),
        "signature": signature,
        "changes": count_changes(signature),
        "note": request.POST.get(f"note-{signature.pk}", "")[:300],
        "next": next_url or "",
    }
    return TemplateResponse(request, "admin/signatures/confirm_spam.html", context)


def confirm_bulk(model_admin, request, queryset, decision: str) -> TemplateResponse:
    """How many of the selected signatures `decision` will change, and the first few of them."""
    changing = would_change(queryset, decision)
    shown = list(changing.select_related("petition", "affiliation").order_by("pk")[: SHOWN + 1])
    total = changing.count() if len(shown) > SHOWN else len(shown)
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.opts,
        "title": _("Confirm: %s") % Decision(decision).label,
        "decision": Decision(decision),
        "action": request.POST.get("action", ""),
        "selected": request.POST.getlist(helpers.ACTION_CHECKBOX_NAME),
        "select_across": request.POST.get("select_across", "0"),
        "reason": request.POST.get("reason", "")[:300],
        "selected_count": queryset.count(),
        "changing": shown[:SHOWN],
        "changing_count": total,
        "more": max(total - SHOWN, 0),
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
    }
    return TemplateResponse(request, "admin/signatures/confirm_bulk.html", context)
