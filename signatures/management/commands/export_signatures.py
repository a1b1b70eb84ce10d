import os
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from petitions.models import Petition
from signatures.export import export_bytes, valid_filter


class Command(BaseCommand):
    help = "Write a petition's signers as CSV (default: verified claims only), streamed."

    def add_arguments(self, parser):
        parser.add_argument("petition", help="petition slug")
        parser.add_argument("--verification", default="verified", help="verified (default), needs_review, …, or all")
        parser.add_argument("--output", "-o", type=Path, help="file to write (default: standard output)")

    def handle(self, *args, petition, verification, output, **options):
        target = Petition.objects.filter(slug=petition).first()
        if target is None:
            raise CommandError(f"No petition with slug {petition!r}.")
        if not valid_filter(verification):
            raise CommandError(f"Unknown verification filter {verification!r}.")
        blocks = export_bytes(target, verification)
        if output:
            self.write_file(output, blocks)
            return
        # UTF-8 whatever the locale: write bytes when standard output has a byte buffer.
        buffer = getattr(self.stdout, "buffer", None)
        if buffer is not None:
            self.stdout.flush()
            for block in blocks:
                buffer.write(block)
            buffer.flush()
        else:
            for block in blocks:
                self.stdout.write(block.decode("utf-8"), ending="")

    def write_file(self, output: Path, blocks) -> None:
        """Write beside the target and rename, so a failed export never leaves a truncated file behind."""
        partial = output.with_name(f".{output.name}.partial")
        try:
            with open(partial, "wb") as out:
                out.writelines(blocks)
            os.replace(partial, output)
        except OSError as error:
            partial.unlink(missing_ok=True)
            raise CommandError(f"Cannot write {output}: {error.strerror}.")
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
