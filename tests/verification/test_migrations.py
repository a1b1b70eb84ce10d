"""Data migrations of the verification app."""

import importlib

import pytest
from django.apps import apps

from tests.support.factories import make_affiliation, make_roster_entry
from verification.models import RosterEntry

pytestmark = pytest.mark.django_db

recompute_keys = importlib.import_module("verification.migrations.0002_recompute_roster_name_keys")


def test_roster_keys_stored_by_the_old_rules_are_recomputed():
    entry = make_roster_entry(make_affiliation(), "Seán O'Brien-Søndergaard", "+sean@studio.org")
    RosterEntry.objects.filter(pk=entry.pk).update(name_key="brien o sean sndergaard", email_key="@studio.org")
    recompute_keys.recompute(apps, None)
    entry.refresh_from_db()
    assert (entry.name_key, entry.email_key) == ("obrien sean sondergaard", "+sean@studio.org")
