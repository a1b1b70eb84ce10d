"""The signers CSV for a petition's moderators."""

from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404

from moderation.decisions import audit
from petitions.models import Petition
from signatures.export import export_bytes, valid_filter
from teams.scope import can_moderate


@staff_member_required
def export_csv(request, slug: str):
    """The signers CSV for the petition's moderators (default: verified claims only)."""
    petition = get_object_or_404(Petition, slug=slug)
    if not can_moderate(request.user, petition):
        raise PermissionDenied
    verification = request.GET.get("verification", "verified")
    if not valid_filter(verification):
        return HttpResponse(f"Unknown verification filter: {verification[:50]}", status=400, content_type="text/plain")
    audit(request.user, petition, f"Exported the signers CSV ({verification}).")
    response = StreamingHttpResponse(export_bytes(petition, verification), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{petition.slug}-{verification}.csv"'
    response["Cache-Control"] = "no-store"
    return response
