"""Entry point for gunicorn and `flask --app wsgi`."""
from checkin import create_app

app = create_app()
