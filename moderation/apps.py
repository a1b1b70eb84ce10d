from django.apps import AppConfig
from django.db.models.signals import post_migrate


class ModerationConfig(AppConfig):
    """The moderators' panel: the Django admin scoped per petition, the CSV export, moderator accounts."""

    name = "moderation"
    verbose_name = "Moderation"

    def ready(self) -> None:
        from .scope import sync_moderators_group

        # After every migrate and flush, so the group never goes missing or stale.
        post_migrate.connect(sync_moderators_group, sender=self, dispatch_uid="sync_moderators_group")
