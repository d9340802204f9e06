"""gunicorn on the tests' frozen clock: `python tests/gunicorn_on_clock.py <ISO instant> <gunicorn args>`.

The master travels (ticking) to the instant before gunicorn starts; the workers it forks inherit
the travel, so the server's today is the test's today. Started by live_server.run_gunicorn.
"""
import sys
from pathlib import Path

import time_machine
from gunicorn.app.wsgiapp import run

if __name__ == "__main__":
    sys.path[0] = str(Path(__file__).resolve().parent.parent)  # the project, as `python -m gunicorn` has it
    time_machine.travel(sys.argv.pop(1), tick=True).start()
    sys.argv[0] = "gunicorn"
    sys.exit(run())
