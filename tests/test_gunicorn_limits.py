"""Limits hold across gunicorn's workers: a burst from one client, spread over the workers by
fresh connections, is evaluated exactly as often as the limit allows."""
import re
import threading

import pytest
import requests
from live_server import prepare_demo_database

from benchmarks.gunicorn_server import run_gunicorn

pytestmark = pytest.mark.gunicorn

CSRF_TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
BURST = 30
LIMIT = 10


def test_thirty_lookups_at_once_across_workers_are_evaluated_ten_times(tmp_path):
    database_uri, app = prepare_demo_database(tmp_path)
    # The day's limit on one reference: a burst never straddles its window (a minute's could).
    settings = {"LOOKUP_LIMIT_PER_IP_MINUTE": 1000, "LOOKUP_LIMIT_PER_IP_HOUR": 1000,
                "LOOKUP_MISSES_PER_REFERENCE": LIMIT}
    with run_gunicorn(tmp_path, database_uri, lock_latency=0.0, settings=settings) as server:
        browsers = []
        for _ in range(BURST):
            browser = requests.Session()
            browser.headers["Connection"] = "close"  # any worker may take each request
            token = CSRF_TOKEN.search(browser.get(server.base_url + "/", timeout=10).text).group(1)
            browsers.append((browser, token))
        start = threading.Barrier(BURST)
        statuses = []

        def look_up(browser, token):
            start.wait()
            response = browser.post(server.base_url + "/", timeout=30, allow_redirects=False,
                                    data={"csrf_token": token, "reference": "40321", "surname": "Wrongname"})
            statuses.append(response.status_code)

        threads = [threading.Thread(target=look_up, args=pair) for pair in browsers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        workers = set(re.findall(r"Booting worker with pid: (\d+)", server.log()))
        for browser, _ in browsers:
            browser.close()
    app.extensions["pin_jobs"].shutdown()

    assert len(workers) > 1
    assert sorted(statuses) == [200] * LIMIT + [429] * (BURST - LIMIT)
