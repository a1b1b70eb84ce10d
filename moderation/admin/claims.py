"""Signatures and the review queue: what moderators look at, and the buttons for their decisions.

A signature is never edited in the admin: what the signer typed stands. Every decision goes through
moderation.decisions.decide, which keeps the evidence, the counters and the audit trail.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import quote, unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Case, Value, When
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext

from moderation.decisions import Decision, decide, recheck
from signatures.models import ClaimReview, Signature
from teams.scope import within_petitions
from verification.models import Evidence, RosterChallenge, RosterEntry

from . import confirmations
from .base import (
    AffiliationListFilter,
    ModeratedAdmin,
    PetitionListFilter,
    ReadOnlyAdmin,
    ReadOnlyInline,
    badge,
    came_from,
)

Verification = Signature.Verification
CHUNK = 200


def review_candidates(signature: Signature) -> list[dict]:
    """The roster entries the matcher proposed for this claim ({"entry", "name", "score"}, best first)."""
    evidence = signature.evidence
    if evidence is None or not isinstance(evidence.candidates, list):
        return []
    return [c for c in evidence.candidates if isinstance(c, dict) and isinstance(c.get("entry"), int)]


def attach_candidates(signatures) -> None:
    """Give each signature `.candidate_rows` [(candidate, RosterEntry or None)] and `.challenged_entries` (the
    entries already asked about it, who are not offered again), with one query each for all the rows."""
    signatures = list(signatures)
    entries = RosterEntry.objects.in_bulk({c["entry"] for s in signatures for c in review_candidates(s)})
    asked: dict[int, set[int]] = {}
    for signature_id, entry_id in RosterChallenge.objects.filter(signature__in=signatures).values_list(
        "signature_id", "roster_entry_id"
    ):
        asked.setdefault(signature_id, set()).add(entry_id)
    for signature in signatures:
        signature.candidate_rows = [(c, entries.get(c["entry"])) for c in review_candidates(signature)]
        signature.challenged_entries = asked.get(signature.pk, set())


class ReasonActionForm(helpers.ActionForm):
    reason = forms.CharField(
        required=False,
        max_length=300,
        label="Reason",
        help_text="Kept as evidence; required to approve members without a roster address.",
    )


class EvidenceInline(ReadOnlyInline):
    """Every decision on the claim, automatic or a moderator's, newest first. Never edited."""

    model = Evidence
    fk_name = "signature"
    fields = ("created_at", "verdict_badge", "method", "roster_name", "score", "candidate_names", "decided", "detail")
    readonly_fields = fields
    ordering = ("-created_at", "-id")
    verbose_name = "evidence"
    verbose_name_plural = "evidence trail (newest first)"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("decided_by")

    @admin.display(description="verdict")
    def verdict_badge(self, evidence: Evidence) -> str:
        return badge(evidence.verdict)

    @admin.display(description="candidates")
    def candidate_names(self, evidence: Evidence) -> str:
        candidates = [c for c in evidence.candidates if isinstance(c, dict)] if evidence.candidates else []
        if not candidates:
            return "—"
        return format_html_join(", ", "{} ({})", ((c.get("name", "?"), c.get("score", "?")) for c in candidates))

    @admin.display(description="decided by")
    def decided(self, evidence: Evidence) -> str:
        return evidence.decider


class ClaimDecisions(ReadOnlyAdmin):
    """What the signatures list and the review queue share: read-only records, and the moderator's decisions.

    Deciding is the model's change permission; the record itself has nothing to change.
    """

    list_select_related = ("petition", "affiliation", "evidence")
    show_full_result_count = False
    search_fields = ("full_name", "email", "organisation")
    inlines = [EvidenceInline]
    action_form = ReasonActionForm
    actions = ["approve_claims", "reject_claims", "reject_as_spam", "reinstate_signatures", "recheck_claims"]
    fieldsets = [
        ("Signer (as they typed it)", {"fields": ["full_name", "email", "role", "organisation", "comment", "public"]}),
        ("Claim", {"fields": ["affiliation", "verification_badge", "current_evidence", "why", "candidates"]}),
        (
            "Signature",
            {"fields": ["petition", "version", "status", "created_at", "confirmed_at", "verified_at", "withdrawn_at"]},
        ),
    ]
    readonly_fields = [
        "full_name", "email", "role", "organisation", "comment", "public", "affiliation", "verification_badge",
        "current_evidence", "why", "candidates", "petition", "version", "status", "created_at", "confirmed_at",
        "verified_at", "withdrawn_at", "decision",
    ]  # fmt: skip

    def has_decide_permission(self, request, obj=None) -> bool:
        """Nobody edits or deletes a signature here; deciding on it needs the model's change permission."""
        return ModeratedAdmin.has_change_permission(self, request, obj)

    def get_fieldsets(self, request, obj=None):
        fieldsets = list(super().get_fieldsets(request, obj))
        if obj is not None and self.has_decide_permission(request, obj):
            fieldsets.append(("Decide", {"fields": ["decision"]}))
        return fieldsets

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        attach_candidates([obj])
        obj.can_decide = self.has_decide_permission(request, obj)
        return obj

    def get_changelist_instance(self, request):
        changelist = super().get_changelist_instance(request)
        attach_candidates(changelist.result_list)
        can_decide = self.has_decide_permission(request)
        for signature in changelist.result_list:
            signature.can_decide = can_decide
        return changelist

    # Columns and fields.

    @admin.display(description="claim", ordering="affiliation__name")
    def claim(self, signature: Signature) -> str:
        if signature.affiliation_id is None:
            return "—"
        return format_html(
            "{} {}", signature.affiliation.name, badge(signature.verification, signature.get_verification_display())
        )

    @admin.display(description="verification", ordering="verification")
    def verification_badge(self, signature: Signature) -> str:
        return badge(signature.verification, signature.get_verification_display())

    @admin.display(description="signed", ordering="created_at")
    def signed(self, signature: Signature):
        return signature.created_at

    @admin.display(description="current evidence")
    def current_evidence(self, signature: Signature) -> str:
        evidence = signature.evidence
        if evidence is None:
            return "—"
        entry = f", roster entry “{evidence.roster_name}”" if evidence.roster_name else ""
        return f"{evidence.get_method_display()}{entry}, score {evidence.score:.2f}, by {evidence.decider}"

    @admin.display(description="claim, and why it is here", ordering="affiliation__name")
    def claim_and_why(self, signature: Signature) -> str:
        return format_html("{}<br>{}", self.claim(signature), self.why(signature))

    @admin.display(description="why it is here")
    def why(self, signature: Signature) -> str:
        """What the last decision says: the reason a claim waits for a moderator, and any lookalike warning."""
        return render_to_string("admin/signatures/_why.html", {"evidence": signature.evidence})

    @admin.display(description="roster candidates")
    def candidates(self, signature: Signature) -> str:
        rows = getattr(signature, "candidate_rows", [])
        if not rows:
            return "—"
        can_decide = getattr(signature, "can_decide", True) and signature.verification != Verification.VERIFIED
        shown = []
        for candidate, entry in rows:
            buttons = []
            if entry is not None and can_decide:
                buttons.append(self._button(signature, f"approve:{entry.pk}", "Approve as this member"))
                if entry.email and entry.pk not in getattr(signature, "challenged_entries", ()):
                    buttons.append(self._button(signature, f"challenge:{entry.pk}", "Send a challenge to this entry"))
            details = (
                " · ".join(part for part in (entry.email, entry.external_id, entry.handles) if part) if entry else ""
            )
            shown.append({"candidate": candidate, "entry": entry, "details": details, "buttons": buttons})
        return render_to_string("admin/signatures/_candidates.html", {"rows": shown})

    @admin.display(description="decide")
    def decision(self, signature: Signature) -> str:
        if not getattr(signature, "can_decide", True):
            return ""
        buttons = []
        if signature.affiliation_id and signature.status == Signature.Status.CONFIRMED:
            if signature.verification != Verification.VERIFIED:
                best = " (best candidate)" if getattr(signature, "candidate_rows", None) else ""
                buttons.append(self._reason_input(signature))
                buttons.append(self._button(signature, "approve", f"Approve claim{best}"))
            if signature.verification != Verification.REJECTED:
                buttons.append(self._button(signature, "reject", "Reject claim"))
            if not signature.decided_by_person:
                buttons.append(self._button(signature, "recheck", "Re-check against the roster"))
        if signature.status == Signature.Status.REJECTED:
            buttons.append(self._button(signature, "reinstate", "Reinstate (undo the rejection)"))
        else:
            buttons.append(self._button(signature, "spam", "Reject signature as spam…"))
        return format_html_join(" ", "{}", ((b,) for b in buttons)) if buttons else "—"

    @staticmethod
    def _reason_input(signature: Signature) -> str:
        """The moderator's reason, kept as evidence; required to approve a member without a roster address."""
        return format_html(
            '<label class="reason">Reason <input type="text" name="note-{}" maxlength="300" size="24"></label>',
            signature.pk,
        )

    def _button(self, signature: Signature, decision: str, label: str) -> str:
        """A submit button for the surrounding admin form, posted to this signature's decide view."""
        url = reverse(
            f"admin:{self.opts.app_label}_{self.opts.model_name}_decide",
            args=[quote(signature.pk)],
            current_app=self.admin_site.name,
        )
        return format_html(
            '<button type="submit" class="button" name="decision" value="{}" formaction="{}" formmethod="post" '
            "formnovalidate>{}</button>",
            decision,
            url,
            label,
        )

    # The decide view (one signature, from its page or a row of the queue).

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        view = self.admin_site.admin_view(self.decide_view)
        return [path("<path:object_id>/decide/", view, name="{}_{}_decide".format(*info)), *super().get_urls()]

    def decide_view(self, request, object_id):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        object_id = unquote(object_id)
        signatures = within_petitions(Signature.objects.select_related("affiliation", "evidence"), request.user)
        signature = signatures.filter(pk=object_id).first() if object_id.isdigit() else None
        if signature is None:
            raise Http404("No such signature among those you moderate.")
        if not self.has_decide_permission(request, signature):
            raise PermissionDenied
        decision, _, entry_id = request.POST.get("decision", "").partition(":")
        if decision == "recheck":
            self._report_recheck(request, recheck(Signature.objects.filter(pk=signature.pk), request.user))
        elif decision in Decision.values:
            entry = None
            if entry_id:
                entry = RosterEntry.objects.filter(
                    pk=entry_id if entry_id.isdigit() else None, affiliation_id=signature.affiliation_id
                ).first()
                if entry is None:
                    self.message_user(request, "That roster entry is not on this affiliation's roster.", messages.ERROR)
                    return HttpResponseRedirect(self.after_decision_url(request, signature))
            note = request.POST.get(f"note-{signature.pk}", "")[:300]
            if decision == Decision.SPAM and not confirmations.is_confirmed(request):
                next_url = confirmations.safe_next(request) or came_from(request)
                return confirmations.confirm_spam(self, request, signature, next_url)
            self._report(request, decision, [self._decide(request, signature, decision, entry, note)])
            if decision == Decision.SPAM:
                self._offer_undo(request, signature)
        else:
            self.message_user(request, "Unknown decision.", messages.ERROR)
        return HttpResponseRedirect(self.after_decision_url(request, signature))

    def after_decision_url(self, request, signature: Signature) -> str:
        """Back where the moderator was (the page the button was on, or before a confirmation page), else this
        signature's page."""
        here = reverse(
            "admin:signatures_signature_change", args=[quote(signature.pk)], current_app=self.admin_site.name
        )
        return confirmations.safe_next(request) or came_from(request) or here

    def _offer_undo(self, request, signature: Signature) -> None:
        """After a spam rejection: where to undo it (the signature's page has the Reinstate button)."""
        url = reverse("admin:signatures_signature_change", args=[quote(signature.pk)], current_app=self.admin_site.name)
        self.message_user(
            request,
            format_html(
                gettext('Made a mistake? <a href="{}">Reinstate {}</a> from their page.'), url, signature.full_name
            ),
        )

    # The decisions: each through moderation.decisions.decide, which records and logs it.

    REPORTS = {
        Decision.APPROVE: ("Approved", "claim"),
        Decision.REJECT: ("Rejected", "claim"),
        Decision.SPAM: ("Rejected as spam", "signature"),
        Decision.REINSTATE: ("Reinstated", "signature"),
        Decision.CHALLENGE: ("Sent a challenge for", "claim"),
    }

    def _decide(
        self, request, signature: Signature, decision: str, entry: RosterEntry | None = None, note: str = ""
    ) -> bool:
        """True if the decision changed the signature; False if refused (said why) or already so."""
        try:
            return decide(signature, decision, request.user, entry=entry, note=note)
        except ValidationError as error:
            if signature.affiliation_id and signature.status == Signature.Status.CONFIRMED:
                self.message_user(request, f"{signature.full_name}: {' '.join(error.messages)}", messages.ERROR)
            return False

    def _each(self, request, queryset, decision: str) -> list[bool]:
        """Apply `decision` to each selected signature, a chunk at a time (a selection may be the whole queue)."""
        ids = list(queryset.order_by().values_list("pk", flat=True))
        note = request.POST.get("reason", "")[:300]
        results = []
        for start in range(0, len(ids), CHUNK):
            chunk = Signature.objects.select_related("affiliation", "evidence").in_bulk(ids[start : start + CHUNK])
            results += [self._decide(request, signature, decision, note=note) for signature in chunk.values()]
        return results

    def _report(self, request, decision: str, results: list[bool]) -> None:
        verb, noun = self.REPORTS[decision]
        done, skipped = results.count(True), results.count(False)
        if done:
            self.message_user(request, f"{verb} {done} {noun}{'s' if done != 1 else ''}.", messages.SUCCESS)
        if skipped:
            why = {
                "claim": "no claim, not confirmed, or already decided so by a moderator",
                Decision.SPAM: "already rejected",
                Decision.REINSTATE: "not rejected",
            }.get(noun if noun == "claim" else decision)
            self.message_user(request, f"Left {skipped} {noun}{'s' if skipped != 1 else ''} unchanged ({why}).")

    def _report_recheck(self, request, recheck) -> None:
        if recheck.total:
            progress = reverse("admin:verification_recheck_change", args=[recheck.pk], current_app=self.admin_site.name)
            self.message_user(
                request,
                format_html(
                    'Queued {} claim{} for re-checking against the roster; <a href="{}">follow its progress</a>.',
                    recheck.total,
                    "s" if recheck.total != 1 else "",
                    progress,
                ),
                messages.SUCCESS,
            )
        else:
            self.message_user(request, "Nothing to re-check: moderators' decisions stand.", messages.WARNING)

    def response_action(self, request, queryset):
        """A selection that is not a list of ids (a forged post) changes nothing and says so, instead of a 500."""
        if not all(pk.isdigit() for pk in request.POST.getlist(helpers.ACTION_CHECKBOX_NAME)):
            self.message_user(
                request, gettext("The selection was not understood; nothing was changed."), messages.ERROR
            )
            return HttpResponseRedirect(request.get_full_path())
        return super().response_action(request, queryset)

    def _bulk(self, request, queryset, decision: str):
        """First a page saying how many of the selected signatures the decision changes; its button runs it."""
        if not confirmations.is_confirmed(request):
            return confirmations.confirm_bulk(self, request, queryset, decision)
        self._report(request, decision, self._each(request, queryset, decision))
        return None

    @admin.action(description="Approve the selected claims…", permissions=["decide"])
    def approve_claims(self, request, queryset):
        return self._bulk(request, queryset, Decision.APPROVE)

    @admin.action(description="Reject the selected claims…", permissions=["decide"])
    def reject_claims(self, request, queryset):
        return self._bulk(request, queryset, Decision.REJECT)

    @admin.action(description="Reject the selected signatures as spam…", permissions=["decide"])
    def reject_as_spam(self, request, queryset):
        return self._bulk(request, queryset, Decision.SPAM)

    @admin.action(description="Reinstate the selected rejected signatures…", permissions=["decide"])
    def reinstate_signatures(self, request, queryset):
        return self._bulk(request, queryset, Decision.REINSTATE)

    @admin.action(description="Re-check the selected claims against the rosters", permissions=["decide"])
    def recheck_claims(self, request, queryset):
        self._report_recheck(request, recheck(queryset, request.user))


@admin.register(Signature)
class SignatureAdmin(ClaimDecisions):
    list_display = ("full_name", "email", "petition", "claim", "status", "signed")
    list_filter = (PetitionListFilter, "status", "verification", AffiliationListFilter)


@admin.register(ClaimReview)
class ClaimReviewAdmin(ClaimDecisions):
    """The review queue: confirmed claims whose only evidence is a similar name, oldest first."""

    list_display = ("signer", "claim_and_why", "candidates", "decision")
    list_display_links = ("signer",)
    list_filter = (PetitionListFilter, AffiliationListFilter)
    # Disputes first (a roster member said "this wasn't me"), then the oldest claims.
    ordering = (Case(When(verification=Verification.DISPUTED, then=Value(0)), default=Value(1)).asc(), "id")
    actions = ["approve_claims", "reject_claims", "reject_as_spam"]

    def get_queryset(self, request):
        return super().get_queryset(request).claims_to_review()

    def changelist_view(self, request, extra_context=None):
        title = "Claims to review, disputes first, then oldest: approve (as the right roster member) or reject"
        return super().changelist_view(request, {"title": title, **(extra_context or {})})

    @admin.display(description="signer", ordering="full_name")
    def signer(self, signature: Signature) -> str:
        role = " at ".join(part for part in (signature.role, signature.organisation) if part)
        return format_html(
            "<strong>{}</strong><br>{}<br><small>{}</small><br><small>on {}, {}</small>",
            signature.full_name,
            signature.email,
            role or "no role or organisation given",
            signature.petition.title,
            date_format(timezone.localtime(signature.created_at), "j M Y H:i"),
        )

    def after_decision_url(self, request, signature: Signature) -> str:
        """Back to the queue (a decided claim has left it, so its own queue page would be gone)."""
        changelist = reverse("admin:signatures_claimreview_changelist", current_app=self.admin_site.name)
        referer = came_from(request)
        return referer if referer and referer.partition("?")[0].endswith(changelist) else changelist
