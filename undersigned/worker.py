"""`celery -A undersigned worker`, without the rest of Celery's command line: what bin/worker runs.

    python -m undersigned.worker [worker options: --concurrency, --loglevel, -Q, --pool, ...]

Celery's `celery` command imports every one of its subcommands before it runs one, and its `amqp` shell brings
click-repl and prompt_toolkit: about 10 MB that a worker's main process held for nothing and every pool process
inherited (a pool process importing a 100,000-row roster peaked at 105 MiB with them, 96 MiB without:
bench/roster_import.py; docs/decisions.md). This runs Celery's own `worker` command, every option and default
the same, with the app set as `celery -A undersigned` sets it (no preload or user options: we declare none).
`--detach` is refused: it would start `celery` without `-A undersigned worker` (run it under a supervisor, or
`bin/production`).
"""

import sys


def main(argv: list[str] | None = None) -> None:
    from celery import maybe_patch_concurrency

    maybe_patch_concurrency()  # an eventlet or gevent pool (-P) patches the standard library first, as `celery` does
    from celery.bin.base import CLIContext
    from celery.bin.worker import worker

    from undersigned.celery import app

    args = sys.argv[1:] if argv is None else argv
    if {"--detach", "-D"} & set(args):
        sys.exit("undersigned.worker runs in the foreground: --detach is not supported (use a supervisor).")
    context = CLIContext(app=app, no_color=False, workdir=None, quiet=False)
    worker.main(args=args, prog_name="celery worker", obj=context, auto_envvar_prefix="CELERY_WORKER")


if __name__ == "__main__":
    main()
