from django.apps import AppConfig


class AbuseConfig(AppConfig):
    """Bot resistance: layered limits, parking, the proof-of-work challenge, trending flags, bulk invalidation."""

    name = "abuse"
    verbose_name = "Abuse"
