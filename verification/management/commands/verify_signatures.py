from django.core.management.base import BaseCommand, CommandError

from petitions.models import Petition
from signatures.models import Signature
from verification.matching import queue_recheck
from verification.models import Affiliation


class Command(BaseCommand):
    help = "Queue confirmed claims to be checked again (moderators' decisions are left alone)."

    def add_arguments(self, parser):
        parser.add_argument("--petition", help="petition slug")
        parser.add_argument("--affiliation", help="affiliation slug")

    def handle(self, *args, petition, affiliation, **options):
        signatures = Signature.objects.all()
        if petition:
            if not Petition.objects.filter(slug=petition).exists():
                raise CommandError(f"No petition with slug {petition!r}.")
            signatures = signatures.filter(petition__slug=petition)
        if affiliation:
            if not Affiliation.objects.filter(slug=affiliation).exists():
                raise CommandError(f"No affiliation with slug {affiliation!r}.")
            signatures = signatures.filter(affiliation__slug=affiliation)
        queued = queue_recheck(signatures)
        self.stdout.write(f"Queued {queued} claim{'' if queued == 1 else 's'} for verification.")
