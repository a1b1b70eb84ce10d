"""Who may do what, for every surface: the one scope module (issue 7's roles, issue 10's "powers in their lane").

- **Operator**: an active superuser; sets the site up and sees everything.
- **Organiser**: an active staff user in the "Organisers" group (ORGANISER_PERMISSIONS). They own the letters
  listing them as organisers (`teams.Organiser`): edit and publish them, see their signers, decide their claims
  and invite their team. They create affiliations and keep the rosters they are keepers of.
- **Moderator**: an active staff user in the "Moderators" group (MODERATOR_PERMISSIONS) listed in
  `Petition.moderators` (see petitions.moderators); decides the claims on those letters.
- **Keeper** of an affiliation (`teams.Keeper`, an organiser, or any operator): the only one who sees its
  roster and changes its roster or domain policy. A letter offering an affiliation does not make its team
  the affiliation's keepers: rosters are never visible to the organisers or moderators of other letters.

These helpers give the *scope* (which rows); the admin checks the groups' model permissions on top.
"""

from django.apps import apps
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db.models import Q, QuerySet

from petitions.models import Petition
from petitions.moderators import MODERATORS_GROUP
from verification.models import Affiliation

from .models import Invitation

__all__ = [
    "MODERATORS_GROUP",
    "MODERATOR_PERMISSIONS",
    "ORGANISERS_GROUP",
    "ORGANISER_PERMISSIONS",
    "can_invite",
    "can_keep",
    "can_manage_invitation",
    "can_moderate",
    "can_organise",
    "can_see_draft",
    "invitations_in_scope",
    "is_operator",
    "kept_affiliations",
    "moderated_affiliations",
    "moderated_petitions",
    "organised_petitions",
    "sync_moderators_group",
    "sync_role_groups",
    "within_affiliations",
    "within_kept",
    "within_petitions",
]

ORGANISERS_GROUP = "Organisers"

# Exactly the model permissions each role needs; kept in sync after every migrate (teams.apps).
# Moderators read their letters and decide claims (the change permission of signatures); rosters and domain
# policies are not theirs to change.
MODERATOR_PERMISSIONS = {
    ("petitions", "petition"): ["view"],
    ("petitions", "petitionversion"): ["view"],
    ("signatures", "signature"): ["view", "change"],
    ("signatures", "claimreview"): ["view", "change"],
    ("signatures", "affiliationtally"): ["view"],
    ("verification", "evidence"): ["view"],
    ("verification", "affiliation"): ["view"],
    ("verification", "recheck"): ["view"],
    ("abuse", "flag"): ["view"],
    ("abuse", "parked"): ["view"],
    ("abuse", "invalidation"): ["view", "add"],
}
# Organisers run their letters start to finish: write them, moderate them, keep their rosters, invite.
ORGANISER_PERMISSIONS = {
    ("petitions", "petition"): ["view", "add", "change"],
    ("petitions", "petitionversion"): ["view"],
    ("signatures", "signature"): ["view", "change"],
    ("signatures", "claimreview"): ["view", "change"],
    ("signatures", "affiliationtally"): ["view"],
    ("verification", "evidence"): ["view"],
    ("verification", "affiliation"): ["view", "add", "change"],
    ("verification", "rosterentry"): ["view", "add", "change", "delete"],
    ("verification", "rosterimport"): ["view", "add"],
    ("verification", "recheck"): ["view"],
    ("teams", "invitation"): ["view", "add", "change"],
    ("abuse", "flag"): ["view"],
    ("abuse", "parked"): ["view"],
    ("abuse", "invalidation"): ["view", "add"],
}
ROLE_GROUPS = {MODERATORS_GROUP: MODERATOR_PERMISSIONS, ORGANISERS_GROUP: ORGANISER_PERMISSIONS}


def _sync_group(name: str, wanted: dict) -> Group:
    group, _ = Group.objects.get_or_create(name=name)
    granted = []
    for (app_label, model_name), actions in wanted.items():
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


def sync_moderators_group(**kwargs) -> Group:
    """Create the Moderators group, or reset its permissions to MODERATOR_PERMISSIONS."""
    return _sync_group(MODERATORS_GROUP, MODERATOR_PERMISSIONS)


def sync_role_groups(**kwargs) -> list[Group]:
    """Create every role's group, or reset its permissions to exactly what the role needs."""
    return [_sync_group(name, wanted) for name, wanted in ROLE_GROUPS.items()]


def _is_staff(user) -> bool:
    return bool(user.is_active and user.is_staff)


def is_operator(user) -> bool:
    return bool(_is_staff(user) and user.is_superuser)


# Letters.


def organised_petitions(user) -> QuerySet:
    """The letters this user owns (all of them for an operator)."""
    if not _is_staff(user):
        return Petition.objects.none()
    if user.is_superuser:
        return Petition.objects.all()
    if not user.has_perm("petitions.change_petition"):
        return Petition.objects.none()
    return Petition.objects.filter(organisers__user=user)


def moderated_petitions(user) -> QuerySet:
    """The letters whose signers this user sees and whose claims they decide: moderated or organised."""
    if not _is_staff(user):
        return Petition.objects.none()
    if user.is_superuser:
        return Petition.objects.all()
    listed = Petition.moderators.through.objects.filter(user=user).values("petition_id")
    return Petition.objects.filter(Q(pk__in=listed) | Q(pk__in=organised_petitions(user).values("pk")))


def within_petitions(queryset: QuerySet, user, petition_path: str = "petition") -> QuerySet:
    """`queryset` narrowed to rows belonging to letters the user moderates or organises (`petition_path`)."""
    if is_operator(user):
        return queryset
    return queryset.filter(**{f"{petition_path}__in": moderated_petitions(user).values("pk")})


def can_organise(user, petition: Petition) -> bool:
    """May this user edit, publish, close the letter and invite its team?"""
    if not _is_staff(user):
        return False
    if user.is_superuser:
        return True
    return organised_petitions(user).filter(pk=petition.pk).exists()


def can_moderate(user, petition: Petition) -> bool:
    """May this user see the petition's signers (emails included) and decide on its claims?"""
    if not _is_staff(user):
        return False
    if user.is_superuser:
        return True
    return user.has_perm("signatures.view_signature") and moderated_petitions(user).filter(pk=petition.pk).exists()


def can_see_draft(user, petition: Petition) -> bool:
    """A draft is visible to its team only (organisers, moderators) and operators; a public letter to all."""
    if petition.is_public:
        return True
    return bool(user.is_authenticated) and moderated_petitions(user).filter(pk=petition.pk).exists()


# Affiliations and their rosters.


def moderated_affiliations(user) -> QuerySet:
    """The affiliations offered by the letters this user moderates or organises (names, never rosters)."""
    if not _is_staff(user):
        return Affiliation.objects.none()
    if user.is_superuser:
        return Affiliation.objects.all()
    offered = Petition.affiliations.through.objects.filter(petition__in=moderated_petitions(user).values("pk")).values(
        "affiliation_id"
    )
    return Affiliation.objects.filter(pk__in=offered)


def within_affiliations(queryset: QuerySet, user, affiliation_path: str = "affiliation") -> QuerySet:
    """`queryset` narrowed to rows of affiliations offered by the user's letters (see moderated_affiliations)."""
    if is_operator(user):
        return queryset
    return queryset.filter(**{f"{affiliation_path}__in": moderated_affiliations(user).values("pk")})


def kept_affiliations(user) -> QuerySet:
    """The affiliations whose roster and domain policy this user keeps (all of them for an operator)."""
    if not _is_staff(user):
        return Affiliation.objects.none()
    if user.is_superuser:
        return Affiliation.objects.all()
    if not user.has_perm("verification.change_affiliation"):
        return Affiliation.objects.none()
    return Affiliation.objects.filter(keepers__user=user)


def within_kept(queryset: QuerySet, user, affiliation_path: str = "affiliation") -> QuerySet:
    """`queryset` narrowed to rows of the rosters this user keeps (roster entries, imports)."""
    if is_operator(user):
        return queryset
    return queryset.filter(**{f"{affiliation_path}__in": kept_affiliations(user).values("pk")})


def can_keep(user, affiliation: Affiliation) -> bool:
    """May this user see the affiliation's roster and change its roster or domain policy?"""
    if not _is_staff(user):
        return False
    if user.is_superuser:
        return True
    return kept_affiliations(user).filter(pk=affiliation.pk).exists()


# Invitations.


def can_invite(user, role: str, petition: Petition | None) -> bool:
    """Operators invite anyone to anything; an organiser invites co-organisers and moderators to their letters."""
    if not _is_staff(user):
        return False
    if user.is_superuser:
        return True
    if petition is None:
        return False  # organisers of the site (who start their own letters) are the operators' to invite
    return user.has_perm("teams.add_invitation") and can_organise(user, petition)


def invitations_in_scope(user) -> QuerySet:
    """The invitations this user sees: all for an operator, those to the letters they organise otherwise."""
    if not _is_staff(user):
        return Invitation.objects.none()
    if user.is_superuser:
        return Invitation.objects.all()
    if not user.has_perm("teams.view_invitation"):
        return Invitation.objects.none()
    return Invitation.objects.filter(petition__in=organised_petitions(user).values("pk"))


def can_manage_invitation(user, invitation: Invitation) -> bool:
    """May this user revoke the invitation? Its letter's organisers, and operators."""
    if is_operator(user):
        return True
    return (
        invitation.petition_id is not None
        and user.has_perm("teams.change_invitation")
        and invitations_in_scope(user).filter(pk=invitation.pk).exists()
    )
