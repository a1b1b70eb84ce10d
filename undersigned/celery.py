"""The Celery app, wired the standard Django way: settings under the CELERY_ prefix."""

import functools
import logging
import os
from smtplib import SMTPException

from celery import Celery
from celery.contrib.django.task import DjangoTask
from celery.signals import task_postrun, task_prerun
from django.db import transaction
from kombu.exceptions import OperationalError

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "undersigned.settings")

logger = logging.getLogger(__name__)


class Task(DjangoTask):
    """Tasks are queued after the commit; an unreachable broker then must not turn a stored row into an error.

    The row is already safe: `verify_signatures` re-queues pending claims, and signing again re-sends the email.
    """

    def delay_on_commit(self, *args, **kwargs) -> None:
        transaction.on_commit(functools.partial(self._send_or_log, args, kwargs))

    def _send_or_log(self, args: tuple, kwargs: dict) -> None:
        try:
            self.apply_async(args, kwargs)
        except OperationalError:
            logger.exception("Could not queue %s%r: the broker is unreachable.", self.name, args)


# Tasks that send mail: retried with backoff for about an hour of mail-server trouble. Safe to repeat: each
# builds its email from the rows as they are now, and marks what it has sent.
MAIL_TASK_OPTIONS = {
    "acks_late": True,
    "autoretry_for": (SMTPException, ConnectionError, TimeoutError),
    "retry_backoff": True,
    "retry_backoff_max": 600,
    "max_retries": 8,
}

app = Celery("undersigned", task_cls=Task)
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


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
