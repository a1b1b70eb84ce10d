"""The admin site's "view on site" shortcut (/admin/r/<content type>/<id>/), scoped like every admin page.

Django's shortcut redirects any staff user to any object's public URL, which tells a moderator the slug of
another team's draft. Here the object must be one the user may see through its registered ModelAdmin (its
scoped queryset and view permission), else the answer is 404, as for its change page.
"""

from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.contrib.contenttypes.views import shortcut
from django.http import Http404


def view_on_site(request, content_type_id: int, object_id: str):
    content_type = ContentType.objects.filter(pk=content_type_id).first()
    model = content_type.model_class() if content_type else None
    model_admin = admin.site._registry.get(model) if model else None
    if model_admin is None or not model_admin.has_view_or_change_permission(request):
        raise Http404("No such object among those you may see.")
    try:
        visible = model_admin.get_queryset(request).filter(pk=object_id).exists()
    except (ValueError, TypeError):
        visible = False
    if not visible:
        raise Http404("No such object among those you may see.")
    return shortcut(request, content_type_id, object_id)
