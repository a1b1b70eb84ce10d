from django.core.management.base import BaseCommand, CommandError

from petitions.models import Petition
from signatures.counts import recount


class Command(BaseCommand):
    help = "Repair the maintained counters (confirmed; claimed and verified per affiliation) from the signatures."

    def add_arguments(self, parser):
        parser.add_argument("--petition", help="petition slug (default: every petition)")

    def handle(self, *args, petition, **options):
        petitions = Petition.objects.order_by("pk")
        if petition:
            petitions = petitions.filter(slug=petition)
            if not petitions.exists():
                raise CommandError(f"No petition with slug {petition!r}.")
        fixed = 0
        for target in petitions.iterator():
            for drift in recount(target):
                fixed += 1
                self.stdout.write(f"fixed {drift}")
        self.stdout.write(f"{fixed} counter{'' if fixed == 1 else 's'} had drifted and were repaired.")
