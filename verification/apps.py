from django.apps import AppConfig


class VerificationConfig(AppConfig):
    name = "verification"

    def ready(self) -> None:
        from signatures.signals import signature_confirmed, signatures_anonymised

        from .claims import forget_signers
        from .tasks import queue_claim_check

        signature_confirmed.connect(queue_claim_check, dispatch_uid="verification.queue_claim_check")
        signatures_anonymised.connect(forget_signers, dispatch_uid="verification.forget_signers")
