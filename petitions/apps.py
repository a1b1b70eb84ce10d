from django.apps import AppConfig
from django.db.models.signals import post_migrate


class PetitionsConfig(AppConfig):
    name = "petitions"

    def ready(self) -> None:
        from .permissions import sync_moderators_group

        # After every migrate and flush, so the group never goes missing or stale.
        post_migrate.connect(sync_moderators_group, sender=self, dispatch_uid="sync_moderators_group")
