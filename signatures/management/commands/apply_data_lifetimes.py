from django.core.management.base import BaseCommand

from signatures import lifetimes

STEPS = ("purge", "anonymise", "closed")


class Command(BaseCommand):
    help = (
        "Apply the data lifetimes now (celery beat runs them hourly): purge unconfirmed signatures, anonymise "
        "withdrawn and rejected ones, anonymise the signers of letters closed long enough. "
        "Idempotent: a second run changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("--only", choices=STEPS, action="append", help="run only this step (repeatable)")

    def handle(self, *args, only, **options):
        steps = only or STEPS
        outcomes = []
        if "purge" in steps:
            outcomes.append(lifetimes.purge_unconfirmed())
        if "anonymise" in steps:
            outcomes += lifetimes.anonymise_withdrawn_and_rejected()
        if "closed" in steps:
            outcomes.append(lifetimes.anonymise_closed_letters())
        for outcome in outcomes:
            self.stdout.write(str(outcome))
