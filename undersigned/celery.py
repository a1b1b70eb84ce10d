"""The Celery app, wired the standard Django way: settings under the CELERY_ prefix."""

import functools
import logging
import os
import threading
import time
from collections.abc import Mapping
from smtplib import SMTPException

from celery import Celery
from celery.contrib.django.task import DjangoTask
from celery.signals import task_postrun, task_prerun
from django.db import transaction
from kombu.exceptions import OperationalError

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "undersigned.settings")

logger = logging.getLogger(__name__)


# After a failed publish, this process does not try the broker again for this many seconds: during an outage a
# request then costs nothing extra (not even the connect timeout), and the sweepers catch up.
BROKER_BACKOFF = 5.0
_broker_down_until = 0.0


class Task(DjangoTask):
    """Tasks are queued after the commit; an unreachable broker then must not turn a stored row into an error.

    The row is already safe: the work it stands for is recorded (the outbox, a `pending` claim, an unsent
    challenge, an unfinished re-check chunk), and the sweepers (`send_unsent_confirmations`,
    `requeue_stalled_checks`) queue it again once the broker is back. So a failed publish is logged, not
    raised, and costs at most BROKER_TIMEOUT (settings), once per BROKER_BACKOFF seconds per process.
    """

    def delay_on_commit(self, *args, **kwargs) -> None:
        transaction.on_commit(functools.partial(self._send_or_log, args, kwargs))

    def gather_on_commit(self, window: float) -> None:
        """After the commit, queue this task (it takes no arguments: it does whatever is recorded as owed) to
        run in `window` seconds, unless this process queued one that has not started yet. So a burst of
        requests costs one task per window and process, and that one run does the work of all of them.

        Nothing waits for a task that will not come: a request is only left out if it committed before the
        queued run is due (`window` seconds after it was queued, plus GATHER_MARGIN for the clocks of other
        machines), so that run reads its rows. Run eagerly (`make run`, the unit tests), each commit runs it.
        """
        transaction.on_commit(functools.partial(self._gather, window))

    def _gather(self, window: float) -> None:
        if self.app.conf.task_always_eager:
            self._send_or_log((), {})
            return
        now = time.monotonic()
        with _gathering_lock:
            if now < _gathering_until.get(self.name, 0.0):
                return  # the task queued earlier in this window has not started: it will read this commit's rows
            _gathering_until[self.name] = now + window
        if not self._send_or_log((), {}, countdown=window + GATHER_MARGIN):
            with _gathering_lock:
                _gathering_until[self.name] = 0.0  # nothing was queued: the next commit tries again

    def _send_or_log(self, args: tuple, kwargs: dict, **options) -> bool:
        global _broker_down_until
        if time.monotonic() < _broker_down_until:
            logger.warning("Could not queue %s%r: the broker was unreachable moments ago.", self.name, args)
            return False
        try:
            self.apply_async(args, kwargs, **options)
        except OperationalError:
            _broker_down_until = time.monotonic() + BROKER_BACKOFF
            logger.exception("Could not queue %s%r: the broker is unreachable.", self.name, args)
            return False
        return True


# Task.gather_on_commit: per task name, until when (time.monotonic()) this process's queued run covers new commits.
_gathering_until: dict[str, float] = {}
_gathering_lock = threading.Lock()
# How much later than its window a gathered task is due: more than the clocks of two machines drift apart (NTP).
GATHER_MARGIN = 0.5


def mail_task_options() -> dict:
    """The retry policy of the tasks that send mail: backoff over about an hour of mail-server trouble (by
    default; MAIL_RETRIES and MAIL_RETRY_BACKOFF_MAX). Safe to repeat: each builds its email from the rows as
    they are now, and marks what it has sent. When the retries run out nothing is lost: the row that owes the
    email is still there, and the sweepers send it.
    """
    from django.conf import settings

    return {
        "acks_late": True,
        "reject_on_worker_lost": True,
        "autoretry_for": (SMTPException, ConnectionError, TimeoutError),
        "retry_backoff": True,
        "retry_backoff_max": settings.MAIL_RETRY_BACKOFF_MAX,
        "max_retries": settings.MAIL_RETRIES,
    }


class _MailTaskOptions(Mapping):
    """`**MAIL_TASK_OPTIONS` (the former constant, still imported by some modules): read when unpacked, once
    the settings are loaded."""

    def __getitem__(self, key):
        return mail_task_options()[key]

    def __iter__(self):
        return iter(mail_task_options())

    def __len__(self) -> int:
        return len(mail_task_options())


MAIL_TASK_OPTIONS = _MailTaskOptions()

app = Celery("undersigned", task_cls=Task)
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def queue_length() -> int:
    """Tasks waiting in the default queue (0 when tasks run in-process, or when the broker cannot say).

    A queue the broker does not know is empty, not a failure: Redis keeps a queue as a list, which it deletes
    with its last message, so an idle Redis broker answers a passive declare with "404 not found" (RabbitMQ does
    too before a worker has declared the queue). Only other failures are logged."""
    if app.conf.task_always_eager:
        return 0
    try:
        with app.connection_for_write() as connection:
            declared = connection.default_channel.queue_declare(queue=app.conf.task_default_queue, passive=True)
            return declared.message_count
    except Exception as error:  # any transport's failure: the sweeper then acts as if the queue were empty
        if str(getattr(error, "reply_code", "")) != "404":  # kombu's Redis transport gives "404", py-amqp 404
            logger.exception("Could not read the queue's length.")
        return 0


# Database connections in the worker (i9b): Celery's Django fixup closes every connection before and after every
# task unless CELERY_DB_REUSE_MAX is set, so each task paid for a new PostgreSQL backend (a fork and a login).
# With it set (settings), connections are kept as Django keeps them between requests: closed only when older
# than CONN_MAX_AGE or unusable, checked around each task. Never for a task run eagerly (in a request or a
# test): that would close the caller's connection inside its transaction.
def _close_old_connections(task=None, **kwargs) -> None:
    if task is not None and not getattr(task.request, "is_eager", False):
        from django.db import close_old_connections

        close_old_connections()


task_prerun.connect(_close_old_connections, dispatch_uid="undersigned.close_old_connections_before")
task_postrun.connect(_close_old_connections, dispatch_uid="undersigned.close_old_connections_after")
