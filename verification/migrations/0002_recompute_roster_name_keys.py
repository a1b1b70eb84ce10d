"""name_key now joins apostrophes and folds ø, ł, æ …, and email_key keeps a local part that starts with "+":
recompute the stored keys so that existing roster entries still match."""

from django.db import migrations


def recompute(apps, schema_editor):
    from verification.names import email_key, name_key

    RosterEntry = apps.get_model("verification", "RosterEntry")
    changed = []
    for entry in RosterEntry.objects.only("pk", "full_name", "email", "name_key", "email_key").iterator(2000):
        keys = (name_key(entry.full_name), email_key(entry.email) if entry.email else "")
        if keys != (entry.name_key, entry.email_key):
            entry.name_key, entry.email_key = keys
            changed.append(entry)
    RosterEntry.objects.bulk_update(changed, ["name_key", "email_key"], batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [("verification", "0001_initial")]

    operations = [migrations.RunPython(recompute, migrations.RunPython.noop)]
