"""Roster uploads are imported by a worker from the stored file: progress on the record, all or nothing, the
file not kept, and an upload whose task was lost imported by the sweeper."""

from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from tests.support.factories import make_roster_entry
from tests.support.queued import settled
from verification.models import RosterEntry, RosterImport
from verification.roster_csv import parse_roster
from verification.rosters import import_roster, queue_import, run_import
from verification.tasks import requeue_stalled_checks

pytestmark = pytest.mark.django_db

GOOD = b"full_name,email\nAna Nunez,ana@studio.example\nBen Okafor,ben@studio.example\n"


@pytest.fixture(autouse=True)
def _uploads_in_a_temporary_directory(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def test_an_upload_is_imported_by_the_worker_and_the_file_is_not_kept(artists, django_user_model):
    moderator = django_user_model.objects.create(username="mod", email="mod@example.org")
    with settled():
        record = queue_import(artists, SimpleUploadedFile("members.csv", GOOD), user=moderator)
        stored = record.upload.name
        assert record.state == RosterImport.State.QUEUED and default_storage.exists(stored)
    record.refresh_from_db()
    assert (record.state, record.rows, record.created, record.imported_by) == ("done", 2, 2, moderator)
    assert record.finished_at is not None and record.upload.name == ""
    assert not default_storage.exists(stored)
    assert sorted(RosterEntry.objects.values_list("full_name", flat=True)) == ["Ana Nunez", "Ben Okafor"]


def test_a_bad_upload_imports_nothing_and_keeps_the_problems_by_line(artists):
    make_roster_entry(artists, "Old Member", "old@studio.example")
    bad = b"full_name,email\nAna,not-an-address\n,nobody@studio.example\n"
    with settled():
        record = queue_import(artists, SimpleUploadedFile("bad.csv", bad), replace=True)
    record.refresh_from_db()
    assert record.state == RosterImport.State.FAILED
    assert [p.split(":")[0] for p in record.problems] == ["line 2", "line 3"] and record.problems_count == 2
    assert list(RosterEntry.objects.values_list("full_name", flat=True)) == ["Old Member"]


def test_an_upload_whose_task_was_lost_is_imported_by_the_sweep(artists, settings):
    settings.SWEEP_AFTER = 300
    record = queue_import(artists, SimpleUploadedFile("members.csv", GOOD))  # its task is never run
    with settled():
        assert requeue_stalled_checks()["imports"] == 0  # it has not waited long enough
    RosterImport.objects.filter(pk=record.pk).update(progress_at=timezone.now() - timedelta(seconds=301))
    with settled():
        assert requeue_stalled_checks()["imports"] == 1
    record.refresh_from_db()
    assert (record.state, record.created) == ("done", 2)


def test_a_repeated_delivery_of_an_import_writes_nothing_twice(artists):
    record = queue_import(artists, SimpleUploadedFile("members.csv", GOOD))
    run_import(record.pk)
    again = run_import(record.pk)
    assert (again.state, again.created) == ("done", 2)
    assert RosterEntry.objects.count() == 2
    assert RosterImport.objects.count() == 1


def test_the_rows_are_read_from_the_file_with_progress_reported(artists, tmp_path):
    lines = ["full_name,email"] + [f"Member {n},m{n}@studio.example" for n in range(25_000)]
    path = tmp_path / "big.csv"
    path.write_text("\n".join(lines) + "\n")
    reported: list[int] = []
    with path.open("rb") as source:
        rows = parse_roster(source, reported.append)
    assert len(rows) == 25_000
    assert reported == [10_000, 20_000, 25_001]
    with path.open("rb") as source:
        record = import_roster(artists, source, "big.csv")
    assert (record.rows, record.created, RosterEntry.objects.count()) == (25_000, 25_000, 25_000)
    assert RosterEntry.objects.get(email="m24999@studio.example").name_key == "24999 member"
