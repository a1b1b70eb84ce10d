from django.core.management.base import BaseCommand, CommandError

from petitions.models import Petition
from signatures.models import Signature
from verification.models import Affiliation
from verification.tasks import queue_recheck


class Command(BaseCommand):
    help = "Queue confirmed claims to be checked again (moderators' decisions are left alone)."

    def add_arguments(self, parser):
        parser.add_argument("--petition", help="petition slug")
        parser.add_argument("--affiliation", help="affiliation slug")

    def handle(self, *args, petition, affiliation, **options):
        signatures = Signature.objects.all()
        target_petition = target_affiliation = None
        if petition:
            target_petition = Petition.objects.filter(slug=petition).first()
            if target_petition is None:
                raise CommandError(f"No petition with slug {petition!r}.")
            signatures = signatures.filter(petition=target_petition)
        if affiliation:
            target_affiliation = Affiliation.objects.filter(slug=affiliation).first()
            if target_affiliation is None:
                raise CommandError(f"No affiliation with slug {affiliation!r}.")
            signatures = signatures.filter(affiliation=target_affiliation)
        recheck = queue_recheck(
            signatures, "verify_signatures command", petition=target_petition, affiliation=target_affiliation
        )
        queued = recheck.total
        self.stdout.write(
            f"Queued {queued} claim{'' if queued == 1 else 's'} for verification (re-check #{recheck.pk})."
        )
