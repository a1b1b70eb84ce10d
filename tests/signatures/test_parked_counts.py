"""Confirmations never queue on the petition's counter row: while another transaction holds it, a change is parked
as a delta and folded in later (by the next change, the periodic task, or a page's refresh). Counts lag, never
drift; `recount` treats parked deltas as what they are, not as drift."""

import threading

import pytest
from django.db import connection, connections, transaction
from django.test import Client

from petitions.models import Petition
from signatures import counts, services
from signatures.models import CountDelta
from signatures.tasks import fold_counters
from tests.support.counting import real_counts, stored_counts
from tests.support.factories import make_affiliation, make_petition, make_signature

pytestmark = pytest.mark.django_db(transaction=True)


class RowHolder:
    """Another connection holding the petition's row (FOR UPDATE) until `release()`, as a long fold would."""

    def __init__(self, petition: Petition):
        self.petition_id = petition.pk
        self.held, self.done = threading.Event(), threading.Event()
        self.thread = threading.Thread(target=self._hold)

    def _hold(self) -> None:
        try:
            with transaction.atomic():
                list(Petition.objects.select_for_update(no_key=True).filter(pk=self.petition_id).values_list("pk"))
                self.held.set()
                self.done.wait(30)
        finally:
            connection.close()

    def __enter__(self):
        self.thread.start()
        assert self.held.wait(10)
        return self

    def __exit__(self, *exc) -> None:
        self.done.set()
        self.thread.join(30)


def test_a_confirmation_while_the_counter_row_is_held_is_parked_not_queued_and_folded_later():
    artists = make_affiliation("artists")
    petition = make_petition(affiliations=[artists])
    signature = make_signature(petition, confirmed=False, affiliation=artists)
    with RowHolder(petition):
        services.confirm(signature.pk)  # would wait for the holder if it updated the petition's row
        parked = list(CountDelta.objects.filter(petition=petition).values_list("confirmed", "claimed"))
        assert parked == [(1, 1)]
        petition.refresh_from_db()
        assert petition.signature_count == 0
    assert fold_counters() == 1  # the periodic task's body, as beat runs it
    assert stored_counts(petition) == real_counts(petition) == {"confirmed": 1, "by_affiliation": {artists.pk: (1, 0)}}
    assert not CountDelta.objects.exists()


def test_the_next_uncontended_change_folds_what_was_parked_before_it():
    petition = make_petition()
    first = make_signature(petition, confirmed=False)
    with RowHolder(petition):
        services.confirm(first.pk)
    make_signature(petition)
    assert stored_counts(petition)["confirmed"] == 2
    assert not CountDelta.objects.exists()


def test_a_page_view_folds_parked_changes_without_the_periodic_task(settings):
    settings.PUBLIC_CACHE_SECONDS = 0
    petition = make_petition()
    signature = make_signature(petition, confirmed=False)
    with RowHolder(petition):
        services.confirm(signature.pk)
    page = Client().get(petition.get_absolute_url()).content.decode()
    assert "<strong>1</strong> confirmed signature" in page


def test_concurrent_confirmations_and_withdrawals_never_drift():
    artists = make_affiliation("artists")
    petition = make_petition(affiliations=[artists])
    signatures = [make_signature(petition, confirmed=False, affiliation=artists if n % 2 else None) for n in range(24)]
    barrier = threading.Barrier(8)
    errors = []

    def work(chunk) -> None:
        try:
            barrier.wait(10)
            for n, signature in chunk:
                services.confirm(signature.pk)
                if n % 5 == 0:
                    services.withdraw(signature.pk)
        except Exception as error:  # reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(list(enumerate(signatures))[k::8],)) for k in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    counts.fold_all()
    assert stored_counts(petition) == real_counts(petition)
    assert stored_counts(petition)["confirmed"] == 24 - len(range(0, 24, 5))


def test_recount_does_not_call_parked_deltas_drift_and_folds_them():
    petition = make_petition()
    signature = make_signature(petition, confirmed=False)
    with RowHolder(petition):
        services.confirm(signature.pk)
    assert CountDelta.objects.exists()
    assert counts.recount(petition) == []
    assert stored_counts(petition)["confirmed"] == 1
    assert not CountDelta.objects.exists()


def test_recount_repairs_a_counter_that_drifted_while_deltas_were_parked():
    petition = make_petition()
    signature = make_signature(petition, confirmed=False)
    with RowHolder(petition):
        services.confirm(signature.pk)
    Petition.objects.filter(pk=petition.pk).update(signature_count=40)
    drift = counts.recount(petition)
    assert [(d.counter, d.stored, d.actual) for d in drift] == [("confirmed", 41, 1)]
    assert stored_counts(petition)["confirmed"] == 1
