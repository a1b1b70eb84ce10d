from django.core.management.base import BaseCommand, CommandError

from petitions.models import Petition
from signatures.export import export_rows, valid_filter


class Command(BaseCommand):
    help = "Write a petition's signers as CSV (default: verified claims only), streamed."

    def add_arguments(self, parser):
        parser.add_argument("petition", help="petition slug")
        parser.add_argument("--verification", default="verified", help="verified (default), needs_review, …, or all")
        parser.add_argument("--output", "-o", help="file to write (default: standard output)")

    def handle(self, *args, petition, verification, output, **options):
        target = Petition.objects.filter(slug=petition).first()
        if target is None:
            raise CommandError(f"No petition with slug {petition!r}.")
        if not valid_filter(verification):
            raise CommandError(f"Unknown verification filter {verification!r}.")
        if output:
            with open(output, "w", encoding="utf-8", newline="") as out:
                out.writelines(export_rows(target, verification))
        else:
            for line in export_rows(target, verification):
                self.stdout.write(line, ending="")
