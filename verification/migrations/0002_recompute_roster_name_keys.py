"""name_key now joins apostrophes and folds ø, ł, æ …, and email_key keeps a local part that starts with "+":
recompute the stored keys so that existing roster entries still match."""

import re
import unicodedata

from django.db import migrations

# Frozen copies of verification.names as it stood when this migration was written: a migration must
# compute the same keys whatever the live code does later.
_NON_WORD = re.compile(r"[\W_]+")
_APOSTROPHES = re.compile(r"['’ʼ`´]")
_UNDECOMPOSED = str.maketrans({"ø": "o", "ł": "l", "đ": "d", "ħ": "h", "ı": "i", "ŧ": "t", "æ": "ae", "œ": "oe"})
_GMAIL_DOMAINS = {"gmail.com", "googlemail.com"}


def name_key(full_name):
    folded = unicodedata.normalize("NFKD", full_name.casefold()).translate(_UNDECOMPOSED)
    stripped = "".join(c for c in folded if not unicodedata.combining(c))
    words = _NON_WORD.sub(" ", _APOSTROPHES.sub("", stripped)).split()
    return " ".join(sorted(words))


def email_key(email):
    local, _, domain = email.strip().lower().rpartition("@")
    if not local:
        return email.strip().lower()
    local = local.split("+", 1)[0] or local
    if domain in _GMAIL_DOMAINS:
        local = local.replace(".", "")
        domain = "gmail.com"
    return f"{local}@{domain}"


def recompute(apps, schema_editor):
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
