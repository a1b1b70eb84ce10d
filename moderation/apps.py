from django.apps import AppConfig


class ModerationConfig(AppConfig):
    """The moderators' panel: the Django admin scoped per letter, the CSV export, accounts and invitations.

    The role groups it relies on are kept by the teams app (teams.scope.sync_role_groups, after every migrate).
    """

    name = "moderation"
    verbose_name = "Moderation"

    def ready(self) -> None:
        from signatures.signals import signatures_anonymised

        from .decisions import forget_signers

        signatures_anonymised.connect(forget_signers, dispatch_uid="moderation.forget_signers")
