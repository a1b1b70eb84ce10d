from django.apps import AppConfig
from django.db.models.signals import post_migrate


class TeamsConfig(AppConfig):
    """Who runs what: organisers own letters, moderators decide their claims, keepers keep rosters."""

    name = "teams"
    verbose_name = "Teams"

    def ready(self) -> None:
        from verification.signals import roster_imported

        from .reach import record_roster_import
        from .scope import sync_role_groups

        roster_imported.connect(record_roster_import, dispatch_uid="record_roster_import")

        # After every migrate and flush, so the role groups never go missing or stale.
        post_migrate.connect(sync_role_groups, sender=self, dispatch_uid="sync_role_groups")
