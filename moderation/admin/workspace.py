"""A letter's workspace in the panel: its dashboard, the Publish / Close / Archive buttons, and the Markdown
preview while editing. Mixed into PetitionAdmin; every view is scoped by its get_object (404 outside scope)."""

from django.contrib import admin, messages
from django.contrib.admin.utils import quote, unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from moderation import dashboard, letters
from petitions.markdown import render_markdown
from petitions.models import Petition
from signatures.counts import claim_counts
from teams.scope import kept_affiliations

from .base import came_from

PREVIEW_LIMIT = 100_000  # characters of Markdown the preview renders; a letter is far shorter


class LetterWorkspace:
    """The organiser's views of one letter, beside the admin's own change form."""

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("preview/", wrap(self.markdown_preview_view), name="petitions_petition_preview"),
            path("<path:object_id>/workspace/", wrap(self.workspace_view), name="petitions_petition_workspace"),
            path("<path:object_id>/state/", wrap(self.state_view), name="petitions_petition_state"),
            *super().get_urls(),
        ]

    # Links and buttons shared by the change form and the dashboard.

    def letter_tools(self, request, petition: Petition) -> dict:
        can_change = self.has_change_permission(request, petition)
        info = {"args": [quote(petition.pk)], "current_app": self.admin_site.name}
        rosters = kept_affiliations(request.user).filter(pk__in=petition.affiliations.values("pk"))
        return {
            "petition": petition,
            "transitions": letters.available(petition) if can_change else [],
            "state_url": reverse("admin:petitions_petition_state", **info),
            "workspace_url": reverse("admin:petitions_petition_workspace", **info),
            "change_url": reverse("admin:petitions_petition_change", **info),
            "public_url": petition.get_absolute_url(),
            "export_url": reverse("export_csv", args=[petition.slug]),
            "queue_url": reverse("admin:signatures_claimreview_changelist") + f"?petition={petition.pk}",
            "roster_links": [
                (a.name, reverse("admin:verification_affiliation_roster", args=[quote(a.pk)])) for a in rosters
            ],
            # The invitation form, with this letter chosen: its organisers invite co-organisers and moderators.
            "invite_url": reverse("admin:teams_invitation_add") + f"?petition={petition.pk}" if can_change else None,
        }

    @admin.display(description=gettext_lazy("as signers will see it"))
    def text_preview(self, petition: Petition) -> str:
        """The rendered body under the field; the editor's script keeps it live (sanitised: petitions.markdown)."""
        context = {
            "preview_url": reverse("admin:petitions_petition_preview", current_app=self.admin_site.name),
            "rendered": petition.body_html if petition.pk else "",
        }
        return render_to_string("admin/petitions/petition/_text_preview.html", context)

    def get_fieldsets(self, request, obj=None):
        """The live preview is for those who write the text; readers see it on the letter's page."""
        fieldsets = super().get_fieldsets(request, obj)
        if self.has_change_permission(request, obj) or (obj is None and self.has_add_permission(request)):
            return fieldsets
        return [
            (name, {**opts, "fields": [f for f in opts["fields"] if f != "text_preview"]}) for name, opts in fieldsets
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra = {}
        petition = self.get_queryset(request).filter(pk=object_id).first() if str(object_id).isdigit() else None
        if petition is not None:
            extra |= self.letter_tools(request, petition)
        return super().change_view(request, object_id, form_url, {**extra, **(extra_context or {})})

    # The views.

    def workspace_view(self, request, object_id):
        """The letter's dashboard: state and buttons, signatures over time, per affiliation, the funnel."""
        petition = self.get_object(request, unquote(object_id))
        if not self.has_view_permission(request, petition):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": petition,
            "title": _("Workspace: %s") % petition.title,
            **self.letter_tools(request, petition),
            "chart": dashboard.confirmed_per_day(petition),
            "per_affiliation": claim_counts(petition),
            "funnel": dashboard.verification_funnel(petition),
            "queue_length": dashboard.review_queue_length(petition),
        }
        return TemplateResponse(request, "admin/petitions/petition/workspace.html", context)

    def state_view(self, request, object_id):
        """Publish, close or archive (POST only), through the model's named transitions."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        petition = self.get_object(request, unquote(object_id))
        if not self.has_change_permission(request, petition):
            raise PermissionDenied
        transition = request.POST.get("transition", "")
        try:
            letters.change_state(petition, transition, request.user)
        except ValidationError as error:
            self.message_user(request, " ".join(error.messages), messages.ERROR)
        else:
            done = {
                letters.Transition.PUBLISH: _("Published “%s”: it is open for signatures."),
                letters.Transition.CLOSE: _("Closed “%s”: it keeps its page, counts and signers."),
                letters.Transition.ARCHIVE: _("Archived “%s”."),
            }[letters.Transition(transition)]
            self.message_user(request, done % petition.title, messages.SUCCESS)
        workspace = reverse("admin:petitions_petition_workspace", args=[quote(petition.pk)])
        return HttpResponseRedirect(came_from(request) or workspace)

    def markdown_preview_view(self, request):
        """The text rendered exactly as the public page will (petitions.markdown, sanitised).

        The editor's script posts `body` with `fragment=1` and shows the HTML beside the field; without
        JavaScript the form's Preview button posts here and gets a page.
        """
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not (self.has_add_permission(request) or self.has_change_permission(request)):
            raise PermissionDenied
        body = request.POST.get("body", "")
        if len(body) > PREVIEW_LIMIT:
            return HttpResponse(_("The text is too long to preview."), status=413, content_type="text/plain")
        rendered = render_markdown(body)
        if request.POST.get("fragment") == "1":
            response = HttpResponse(rendered, content_type="text/html; charset=utf-8")
            response["Cache-Control"] = "no-store"
            return response
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Preview of the text"),
            "preview_title": request.POST.get("title", "")[:200],
            "preview_summary": request.POST.get("summary", "")[:500],
            "rendered": rendered,
        }
        return TemplateResponse(request, "admin/petitions/petition/markdown_preview.html", context)
