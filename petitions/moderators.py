"""Who moderates a petition: staff users in the Moderators group who are listed in `Petition.moderators`.

`make_moderator` is the one way to make someone a moderator (the admin's account form and action, the
demo and the tests all call it); listing them on petitions is a separate, deliberate step. The group's
permissions are kept by the moderators' panel (teams.scope.sync_role_groups, after every migrate).
"""

from django.contrib.auth.models import Group

MODERATORS_GROUP = "Moderators"


def make_moderator(user) -> None:
    """Staff and in the Moderators group: what the panel needs besides being listed on petitions."""
    if not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    user.groups.add(Group.objects.get(name=MODERATORS_GROUP))
