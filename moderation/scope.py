"""Who may moderate what: superusers everything, moderators the petitions they are assigned to.

A moderator is an active staff user in the "Moderators" group (which grants the model permissions,
MODERATOR_PERMISSIONS) who is listed in `Petition.moderators` (see petitions.moderators). These
helpers give the *scope*; the admin checks the model permissions on top.
"""

from django.apps import apps
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db.models import QuerySet

from petitions.models import Petition
from petitions.moderators import MODERATORS_GROUP
from verification.models import Affiliation

# Exactly the model permissions the moderator panel needs; kept in sync after every migrate (moderation.apps).
MODERATOR_PERMISSIONS = {
    ("petitions", "petition"): ["view"],
    ("petitions", "petitionversion"): ["view"],
    ("signatures", "signature"): ["view", "change"],
    ("signatures", "claimreview"): ["view", "change"],
    ("signatures", "affiliationtally"): ["view"],
    ("verification", "evidence"): ["view"],
    ("verification", "affiliation"): ["view", "change"],
    ("verification", "rosterentry"): ["view", "change"],
    ("verification", "rosterimport"): ["view", "add"],
    ("verification", "recheck"): ["view"],
    ("abuse", "flag"): ["view"],
    ("abuse", "parked"): ["view"],
    ("abuse", "invalidation"): ["view", "add"],
}


def sync_moderators_group(**kwargs) -> Group:
    """Create the Moderators group, or reset its permissions to MODERATOR_PERMISSIONS."""
    group, _ = Group.objects.get_or_create(name=MODERATORS_GROUP)
    granted = []
    for (app_label, model_name), actions in MODERATOR_PERMISSIONS.items():
        model = apps.get_model(app_label, model_name)
        content_type = ContentType.objects.get_for_model(model, for_concrete_model=False)
        for action in actions:
            permission, _ = Permission.objects.get_or_create(
                content_type=content_type,
                codename=f"{action}_{model_name}",
                defaults={"name": f"Can {action} {model._meta.verbose_name}"},
            )
            granted.append(permission)
    group.permissions.set(granted)
    return group


def _is_staff(user) -> bool:
    return bool(user.is_active and user.is_staff)


def moderated_petitions(user) -> QuerySet:
    if not _is_staff(user):
        return Petition.objects.none()
    if user.is_superuser:
        return Petition.objects.all()
    return Petition.objects.filter(moderators=user)


def moderated_affiliations(user) -> QuerySet:
    """The affiliations offered by the petitions this user moderates: their rosters are theirs to keep."""
    if not _is_staff(user):
        return Affiliation.objects.none()
    if user.is_superuser:
        return Affiliation.objects.all()
    offered = Petition.affiliations.through.objects.filter(petition__moderators=user).values("affiliation_id")
    return Affiliation.objects.filter(pk__in=offered)


def within_petitions(queryset: QuerySet, user, petition_path: str = "petition") -> QuerySet:
    """`queryset` narrowed to rows belonging to petitions the user moderates (`petition_path` leads there)."""
    if _is_staff(user) and user.is_superuser:
        return queryset
    return queryset.filter(**{f"{petition_path}__in": moderated_petitions(user)})


def within_affiliations(queryset: QuerySet, user, affiliation_path: str = "affiliation") -> QuerySet:
    if _is_staff(user) and user.is_superuser:
        return queryset
    return queryset.filter(**{f"{affiliation_path}__in": moderated_affiliations(user)})


def can_moderate(user, petition: Petition) -> bool:
    """May this user see the petition's signers (emails included) and decide on its claims?"""
    if not _is_staff(user):
        return False
    if user.is_superuser:
        return True
    return user.has_perm("signatures.view_signature") and petition.moderators.filter(pk=user.pk).exists()
