"""The owner's commands."""
from datetime import timedelta

from conftest import day, make_app

from checkin.extensions import db
from checkin.models import AlertOutbox, AuditEvent, Booking, Lock, Room
from checkin.services.alerts import alert_owner


def test_init_db_creates_tables(runner):
    result = runner.invoke(args=["init-db"])
    assert result.exit_code == 0
    assert "Database ready" in result.output


def test_add_lock_and_room(app, runner):
    assert runner.invoke(args=["add-lock", "Front door", "--ttlock-id", "1001", "--front-door"]).exit_code == 0
    assert runner.invoke(args=["add-lock", "Room 1 door", "--ttlock-id", "2001"]).exit_code == 0
    result = runner.invoke(
        args=["add-room", "Room 1", "--ttlock-id", "2001", "--floor", "First floor", "--directions", "Upstairs",
              "--wifi-name", "Example-Guest", "--wifi-password", "secret-wifi"]
    )
    assert result.exit_code == 0, result.output
    assert "Added 'Room 1' (Room 1 door)" in result.output
    with app.app_context():
        room = db.session.scalar(db.select(Room))
        assert (room.lock.ttlock_id, room.floor, room.wifi_password) == (2001, "First floor", "secret-wifi")
        assert [lock.name for lock in db.session.scalars(db.select(Lock).where(Lock.is_front_door))] == ["Front door"]


def test_add_room_keeps_details_not_given_again(app, runner):
    runner.invoke(args=["add-lock", "Room 1 door", "--ttlock-id", "2001"])
    runner.invoke(args=["add-room", "Room 1", "--ttlock-id", "2001", "--directions", "Upstairs"])
    result = runner.invoke(args=["add-room", "Room 1", "--floor", "First"])
    assert "Updated 'Room 1'" in result.output
    with app.app_context():
        room = db.session.scalar(db.select(Room))
        assert (room.directions, room.floor, room.lock.ttlock_id) == ("Upstairs", "First", 2001)


def test_only_one_front_door(app, runner):
    runner.invoke(args=["add-lock", "Old door", "--ttlock-id", "1001", "--front-door"])
    runner.invoke(args=["add-lock", "New door", "--ttlock-id", "1002", "--front-door"])
    with app.app_context():
        assert [lock.name for lock in db.session.scalars(db.select(Lock).where(Lock.is_front_door))] == ["New door"]


def test_add_room_with_unknown_lock_fails_clearly(runner):
    result = runner.invoke(args=["add-room", "Room 9", "--ttlock-id", "9999"])
    assert result.exit_code != 0
    assert "No lock with TTLock id 9999" in result.output


def test_lock_names_are_unique(runner):
    runner.invoke(args=["add-lock", "Front door", "--ttlock-id", "1001"])
    result = runner.invoke(args=["add-lock", "Front door", "--ttlock-id", "1002"])
    assert result.exit_code != 0
    assert "already called 'Front door'" in result.output


def write_csv(tmp_path, text):
    path = tmp_path / "bookings.csv"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_import_bookings_then_reimport_updates_without_duplicates(app, runner, demo, tmp_path, today):
    csv_path = write_csv(
        tmp_path,
        "booking_ref,surname,room,check_in,check_out\n"
        f"50001,Rowe,Room 1,{day(today, 7)},{day(today, 9)}\n"
        f"50002,Ng,Room 2,{day(today, 7)},{day(today, 8)}\n",
    )
    result = runner.invoke(args=["import-bookings", csv_path])
    assert result.exit_code == 0, result.output
    assert "2 added, 0 updated, 0 cancelled, 0 unchanged" in result.output
    csv_path = write_csv(
        tmp_path,
        "booking_ref,surname,room,check_in,check_out\n"
        f"50001,Rowe,Room 2,{day(today, 7)},{day(today, 10)}\n"
        f"50002,Ng,Room 2,{day(today, 7)},{day(today, 8)}\n",
    )
    result = runner.invoke(args=["import-bookings", csv_path])
    assert "0 added, 1 updated, 0 cancelled, 1 unchanged" in result.output
    with app.app_context():
        booking = db.session.scalar(db.select(Booking).where(Booking.reference == "50001"))
        assert (booking.room.name, booking.check_out_date.isoformat()) == ("Room 2", day(today, 10))
        assert db.session.scalar(db.select(db.func.count()).select_from(Booking).where(Booking.reference.like("5%"))) == 2


def test_import_reports_bad_rows_by_line_and_imports_nothing(app, runner, demo, tmp_path, today):
    csv_path = write_csv(
        tmp_path,
        "booking_ref,surname,room,check_in,check_out\n"
        f"50001,Rowe,Room 1,{day(today, 7)},{day(today, 9)}\n"
        f"ABC,Ng,Room 2,{day(today, 7)},{day(today, 8)}\n"
        f"50003,Ng,Attic,{day(today, 7)},{day(today, 8)}\n"
        f"50004,Ng,Room 2,{(today + timedelta(days=7)):%d/%m/%Y},{day(today, 8)}\n"
        f"50005,Ng,Room 2,{day(today, 8)},{day(today, 8)}\n"
        f"50001,Rowe,Room 1,{day(today, 7)},{day(today, 9)}\n",
    )
    result = runner.invoke(args=["import-bookings", csv_path])
    assert result.exit_code != 0
    for expected in (
        "Line 3: booking_ref 'ABC' must be 4 to 20 letters and digits",
        "Line 4: no room called 'Attic'",
        "Line 5: check_in and check_out must be dates",
        "Line 6: check_out must be after check_in",
        "Line 7: booking 50001 appears twice",
        "Nothing was imported",
    ):
        assert expected in result.output
    with app.app_context():
        assert db.session.scalar(db.select(Booking).where(Booking.reference == "50001")) is None


def test_import_needs_the_documented_header(runner, demo, tmp_path):
    result = runner.invoke(args=["import-bookings", write_csv(tmp_path, "ref,name\n1,2\n")])
    assert result.exit_code != 0
    assert "Line 1: this is not a file the import knows" in result.output
    assert "our own CSV with the header booking_ref,surname,room,check_in,check_out" in result.output
    explicit = runner.invoke(args=["import-bookings", "--format", "checkin", write_csv(tmp_path, "ref,name\n1,2\n")])
    assert "Line 1: the header must be exactly booking_ref,surname,room,check_in,check_out" in explicit.output


def test_demo_reset_clears_the_demos_history_too(app, runner, guest):
    runner.invoke(args=["demo"])
    guest.check_in()
    for _ in range(5):
        guest.find_booking(surname="Wrongname")
    assert guest.find_booking().status_code == 429  # the reference is locked by the misses
    with app.app_context():
        alert_owner("A test event", "40321", "Nothing to do.")
        db.session.commit()
        assert db.session.scalar(db.select(db.func.count()).select_from(AuditEvent)) > 0
    runner.invoke(args=["demo"])
    with app.app_context():
        assert db.session.scalars(db.select(AuditEvent.booking_reference)).all() == []
        assert db.session.scalars(db.select(AlertOutbox.booking_reference)).all() == []
    assert guest.find_booking().headers["Location"] == "/details"


def test_demo_refuses_real_locks(tmp_path):
    app = make_app(tmp_path, LOCK_BACKEND="ttlock", TTLOCK_CLIENT_ID="id", TTLOCK_CLIENT_SECRET="secret",
                   TTLOCK_USERNAME="owner@example.com", TTLOCK_PASSWORD="12345678")
    result = app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code == 1
    assert "The demo runs on simulated locks" in result.output
    app.extensions["pin_jobs"].shutdown()


def test_demo_prints_a_booking_to_try_and_resets_earlier_demo_check_ins(app, runner, guest):
    result = runner.invoke(args=["demo", "--url", "http://127.0.0.1:5000/"])
    assert result.exit_code == 0
    assert "Open http://127.0.0.1:5000/" in result.output
    assert "booking reference 40321, surname Testington" in result.output
    guest.check_in()
    runner.invoke(args=["demo"])
    assert guest.find_booking().headers["Location"] == "/details"  # fresh again
