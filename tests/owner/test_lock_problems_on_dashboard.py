"""The daily lock check's findings on the owner's dashboard."""
from checkin.services import lock_readiness


def test_the_dashboard_lists_the_locks_to_see_to(app, client, owner, demo, cloud):
    cloud.offline_lock_ids = {2001}
    with app.app_context():
        lock_readiness.check_locks(lock_readiness.tonights_locks())
    page = client.get("/owner/").get_data(as_text=True)
    assert "Locks to see to before tonight (1)" in page
    assert "Room 1 door" in page and "No gateway has heard it in the last 30 minutes" in page and "Urgent" in page
