"""name_key now joins apostrophes and folds ø, ł, æ …: recompute the stored keys so old entries still match."""

from django.db import migrations


def recompute(apps, schema_editor):
    from verification.names import name_key

    RosterEntry = apps.get_model("verification", "RosterEntry")
    changed = []
    for entry in RosterEntry.objects.only("pk", "full_name", "name_key").iterator(chunk_size=2000):
        key = name_key(entry.full_name)
        if key != entry.name_key:
            entry.name_key = key
            changed.append(entry)
    RosterEntry.objects.bulk_update(changed, ["name_key"], batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [("verification", "0001_initial")]

    operations = [migrations.RunPython(recompute, migrations.RunPython.noop)]
