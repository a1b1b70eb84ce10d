from django.apps import AppConfig


class VerificationConfig(AppConfig):
    name = "verification"

    def ready(self) -> None:
        from signatures.signals import signature_confirmed

        from .tasks import queue_claim_check

        signature_confirmed.connect(queue_claim_check, dispatch_uid="verification.queue_claim_check")
