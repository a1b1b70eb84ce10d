"""Who may moderate what: superusers everything, moderators the petitions they are assigned to."""

from django.db.models import QuerySet

from .models import Petition


def moderated_petitions(user) -> QuerySet:
    if user.is_superuser:
        return Petition.objects.all()
    return Petition.objects.filter(moderators=user)


def can_moderate(user, petition: Petition) -> bool:
    if not (user.is_active and user.is_staff):
        return False
    return user.is_superuser or petition.moderators.filter(pk=user.pk).exists()
