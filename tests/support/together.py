"""Run callables at the same moment, each in a thread of its own (with its own database connection, closed after)."""

import threading
from collections.abc import Callable

from django.db import connection


def at_once(*calls: Callable[[], object], timeout: float = 60) -> list:
    """Start every call at once (a barrier), wait for all (`timeout` each); their results, in no particular order.
    A call that raised leaves no result."""
    start, results = threading.Barrier(len(calls)), []

    def run(call: Callable[[], object]) -> None:
        start.wait()
        try:
            results.append(call())
        finally:
            connection.close()  # this thread's own database connection

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    return results
