"""bin/worker's command, `python -m undersigned.worker`: Celery's own worker command without the rest of Celery's
command line. (Every test marked `worker` runs its tasks in a worker started this way: tests/conftest.py.)"""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Printed when the process exits (after the command's own exit): whether the REPL of Celery's `amqp` shell was loaded.
LOADED = "import atexit, sys; atexit.register(lambda: print('REPL LOADED:', 'prompt_toolkit' in sys.modules)); "


def run(code: str) -> subprocess.CompletedProcess:
    env = {"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "undersigned.settings", "DEBUG": "1"}
    return subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True)


def test_the_worker_command_takes_celerys_worker_options_without_loading_its_other_commands():
    ours = run(LOADED + "sys.argv = ['worker', '--help']; import runpy; runpy.run_module('undersigned.worker', "
               "run_name='__main__')")  # fmt: skip
    assert ours.returncode == 0, ours.stderr
    assert "--concurrency" in ours.stdout and "--loglevel" in ours.stdout and "--queues" in ours.stdout
    assert "REPL LOADED: False" in ours.stdout
    # What it leaves out: `celery -A undersigned worker` loads click-repl and prompt_toolkit (about 10 MB a process).
    theirs = run(LOADED + "sys.argv = ['celery', '-A', 'undersigned', 'worker', '--help']; "
                 "from celery.__main__ import main; main()")  # fmt: skip
    assert theirs.returncode == 0, theirs.stderr
    assert "--concurrency" in theirs.stdout and "REPL LOADED: True" in theirs.stdout


def test_the_worker_command_refuses_to_detach():
    done = run("import sys; sys.argv = ['worker', '--detach']; import runpy; runpy.run_module('undersigned.worker', "
               "run_name='__main__')")  # fmt: skip
    assert done.returncode != 0
    assert "--detach is not supported" in done.stderr
