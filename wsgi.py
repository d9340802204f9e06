"""Entry point for gunicorn and `flask --app wsgi`."""
import sys

from checkin import create_app
from checkin.config import InvalidSetting

try:
    app = create_app()
except InvalidSetting as problem:
    # One line for the owner, no traceback. Exit status 4 is gunicorn's "App failed to load":
    # its master then stops, instead of booting workers that fail the same way forever.
    print(f"Error: {problem}", file=sys.stderr)
    sys.exit(4)
