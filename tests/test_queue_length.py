"""`queue_length` (how busy the workers are, which the sweeper reads every SWEEP_EVERY seconds) against the real
Redis broker: an idle queue is empty, not an error to log; a broker that cannot answer is logged."""

import logging
import uuid

import pytest

from undersigned.celery import app, queue_length


@pytest.fixture
def own_queue():
    """A default queue of this test's own, on the tests' broker, with no worker consuming it; tasks queued
    (not run in-process) while it is in use."""
    name = f"test-queue-length-{uuid.uuid4().hex}"
    saved = app.conf.task_default_queue, app.conf.task_always_eager
    app.conf.task_default_queue, app.conf.task_always_eager = name, False
    try:
        yield name
    finally:
        with app.connection_for_write() as connection:
            connection.default_channel.queue_delete(name)
        app.conf.task_default_queue, app.conf.task_always_eager = saved


def test_an_idle_queue_is_empty_and_nothing_is_logged(own_queue, caplog):
    with caplog.at_level(logging.WARNING, logger="undersigned.celery"):
        assert queue_length() == 0  # Redis has no list for a queue without messages: the broker says "404"
    assert caplog.records == []


def test_the_tasks_waiting_are_counted_until_the_queue_is_empty_again(own_queue, caplog):
    for _ in range(3):
        app.send_task("tests.no_such_task", queue=own_queue)
    assert queue_length() == 3
    with app.connection_for_write() as connection:
        connection.default_channel.queue_purge(own_queue)
    with caplog.at_level(logging.WARNING, logger="undersigned.celery"):
        assert queue_length() == 0
    assert caplog.records == []


def test_a_broker_that_cannot_answer_counts_as_an_empty_queue_and_is_logged(own_queue, caplog):
    saved = app.conf.broker_write_url
    app.conf.broker_write_url = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    try:
        with caplog.at_level(logging.WARNING, logger="undersigned.celery"):
            assert queue_length() == 0
    finally:
        app.conf.broker_write_url = saved
    assert [record.getMessage() for record in caplog.records] == ["Could not read the queue's length."]
