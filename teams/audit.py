"""Team changes in the same audit trail as moderators' decisions: the admin's LogEntry history of the object.

(moderation.decisions.audit writes the same kind of entry for decisions; a domain app cannot import a
surface, so the teams' use cases write theirs here.)
"""

from django.contrib.admin.models import ADDITION, CHANGE, LogEntry


def record(user, obj, message: str, *, added: bool = False) -> None:
    """An entry in the history of `obj`: who (`user`), what (`message`), when (now)."""
    if user is None or user.pk is None:
        return
    LogEntry.objects.log_actions(
        user.pk, [obj], ADDITION if added else CHANGE, change_message=message, single_object=True
    )
