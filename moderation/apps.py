from django.apps import AppConfig
from django.db.models.signals import post_migrate


class ModerationConfig(AppConfig):
    """The moderators' panel: the Django admin scoped per petition, the CSV export, moderator accounts."""

    name = "moderation"
    verbose_name = "Moderation"

    def ready(self) -> None:
        from signatures.signals import signatures_anonymised

        from .decisions import forget_signers
        from .scope import sync_moderators_group

        signatures_anonymised.connect(forget_signers, dispatch_uid="moderation.forget_signers")

        # After every migrate and flush, so the group never goes missing or stale.
        post_migrate.connect(sync_moderators_group, sender=self, dispatch_uid="sync_moderators_group")
