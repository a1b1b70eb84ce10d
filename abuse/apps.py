from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


class AbuseConfig(AppConfig):
    """Bot resistance: layered limits, parking, the proof-of-work challenge, trending flags, bulk invalidation."""

    name = "abuse"
    verbose_name = "Abuse"

    def ready(self) -> None:
        from . import rules
        from .models import ChallengeSetting, Domain

        # What each process keeps of the operators' rules is forgotten when one changes (abuse.rules).
        for model in (Domain, ChallengeSetting):
            uid = f"abuse.forget_rules.{model.__name__}"
            post_save.connect(rules.forget_changed, sender=model, dispatch_uid=f"{uid}.saved")
            post_delete.connect(rules.forget_changed, sender=model, dispatch_uid=f"{uid}.deleted")
