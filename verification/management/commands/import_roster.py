from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from verification.models import Affiliation
from verification.rosters import RosterError, import_roster


class Command(BaseCommand):
    help = "Import an affiliation's roster from CSV (full_name, email, handles, external_id). All or nothing."

    def add_arguments(self, parser):
        parser.add_argument("affiliation", help="affiliation slug")
        parser.add_argument("file", type=Path)
        parser.add_argument("--replace", action="store_true", help="make the roster exactly this file")

    def handle(self, *args, affiliation, file, replace, **options):
        target = Affiliation.objects.filter(slug=affiliation).first()
        if target is None:
            raise CommandError(f"No affiliation with slug {affiliation!r}.")
        try:
            data = file.read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror}.")
        try:
            record = import_roster(target, data, file.name, replace=replace)
        except RosterError as error:
            raise CommandError(f"Nothing imported; {len(error.problems)} problem(s):\n" + str(error))
        changed = record.created or record.updated or record.removed
        self.stdout.write(
            f"Imported {record.rows} rows into {target.slug}: {record.created} new, {record.updated} updated, "
            f"{record.removed} removed. "
            + ("Claims are being re-checked." if changed else "The roster is unchanged; no claim needs a re-check.")
        )
