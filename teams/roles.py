"""The one way to give each role: every surface (admin, invitations, demo, tests) calls these.

Each is idempotent (granting a role twice changes nothing and returns False), so an accepted invitation,
a repeated click or a re-run seed cannot double anything.
"""

from django.contrib.auth.models import Group
from django.db import transaction

from petitions.models import Petition
from petitions.moderators import make_moderator
from verification.models import Affiliation

from .models import Keeper, Organiser
from .scope import ORGANISERS_GROUP


def make_organiser(user) -> None:
    """Staff and in the Organisers group: may create letters and affiliations (and own those they create)."""
    if not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    user.groups.add(Group.objects.get(name=ORGANISERS_GROUP))


def add_organiser(petition: Petition, user, added_by=None) -> bool:
    """Make `user` an organiser of `petition` (and an organiser at all). True if they were not one already."""
    with transaction.atomic():
        make_organiser(user)
        _, created = Organiser.objects.get_or_create(petition=petition, user=user, defaults={"added_by": added_by})
    return created


def add_moderator(petition: Petition, user) -> bool:
    """Make `user` a moderator of `petition`. True if they were not listed on it already."""
    with transaction.atomic():
        make_moderator(user)
        listed = petition.moderators.filter(pk=user.pk).exists()
        petition.moderators.add(user)
    return not listed


def add_keeper(affiliation: Affiliation, user, added_by=None) -> bool:
    """Make `user` a keeper of `affiliation`'s roster and domain policy. True if they were not one already."""
    _, created = Keeper.objects.get_or_create(affiliation=affiliation, user=user, defaults={"added_by": added_by})
    return created
