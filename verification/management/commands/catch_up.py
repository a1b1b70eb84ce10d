from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand

from signatures import outbox
from verification.tasks import requeue_stalled_checks


class Command(BaseCommand):
    help = (
        "After an outage: send every confirmation email still owed, and queue again the claim checks, challenge "
        "emails and re-check chunks left behind (what celery beat's sweepers do every SWEEP_EVERY seconds)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--now",
            action="store_true",
            help="take everything owed, not only what has waited SWEEP_AFTER seconds for its task",
        )

    def handle(self, *args, now: bool, **options):
        waited = timedelta(0) if now else timedelta(seconds=settings.SWEEP_AFTER)
        owed = outbox.owed_count()
        try:
            sent = outbox.send_due(older_than=waited)
        except outbox.MailServerUnavailable as error:
            self.stderr.write(f"The mail server is unavailable ({error}); {owed} confirmation email(s) still owed.")
        else:
            self.stdout.write(
                f"Confirmation emails: {sent.sent} sent, {sent.refused} refused by the mail server, "
                f"{sent.skipped} no longer needed; {outbox.owed_count()} still owed."
            )
        queued = requeue_stalled_checks(int(waited.total_seconds()))
        self.stdout.write(
            f"Queued again: {queued['claims']} pending claim(s), {queued['challenges']} challenge email(s), "
            f"{queued['chunks']} re-check chunk(s), {queued['imports']} roster import(s)."
        )
