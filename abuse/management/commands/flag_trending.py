"""`manage.py flag_trending`: what the periodic task does, run by an operator (e.g. without celery beat)."""

from django.core.management.base import BaseCommand

from abuse import trending
from abuse.networks import range_label


class Command(BaseCommand):
    help = "Raise or refresh the trending flags for the last ABUSE_TRENDING_WINDOW and list them."

    def handle(self, *args, **options) -> None:
        flags = trending.flag_trending()
        for flag in flags:
            what = range_label(flag.key) if flag.kind == flag.Kind.RANGE else flag.key
            self.stdout.write(
                f"{flag.petition_id}\t{flag.kind}\t{what}\t{flag.signatures} signed\t{flag.parked} parked"
            )
        self.stdout.write(f"{len(flags)} flag(s).")
