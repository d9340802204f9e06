"""Rooms by the platforms' names: map-room, a free room for a name that stands for several, and
bookings that wait for a room instead of failing the import."""
from datetime import timedelta

from booking_exports import booking_com_row, booking_com_xlsx

from checkin.clock import property_today
from checkin.extensions import db
from checkin.models import Booking


def room_of(app, reference):
    with app.app_context():
        booking = db.session.scalar(db.select(Booking).where(Booking.reference == reference))
        return booking.room.name if booking.room else None


def test_a_unit_type_for_two_rooms_gives_each_booking_a_free_one(app, runner, demo, tmp_path):
    with app.app_context():
        start = property_today() + timedelta(days=30)
    result = runner.invoke(args=["map-room", "Double Room", "Room 1", "Room 2"])
    assert result.exit_code == 0 and "'Double Room' stands for Room 1, Room 2." in result.output
    rows = [
        booking_com_row("4011111111", "Alpha, Ann", "Ann Alpha", start, start + timedelta(days=3), "ok", "double room"),
        booking_com_row("4022222222", "Beta, Ben", "Ben Beta", start + timedelta(days=1), start + timedelta(days=2),
                        "ok", "Double Room"),
        # Arrives the day the first leaves: Room 1 is free again.
        booking_com_row("4033333333", "Gamma, Gus", "Gus Gamma", start + timedelta(days=3), start + timedelta(days=5),
                        "ok", "Double Room"),
        booking_com_row("4044444444", "Delta, Dee", "Dee Delta", start + timedelta(days=1), start + timedelta(days=2),
                        "ok", "Double Room"),
    ]
    path = tmp_path / "export.xlsx"
    path.write_bytes(booking_com_xlsx(rows))
    assert runner.invoke(args=["import-bookings", str(path)]).exit_code == 0
    assert [room_of(app, ref) for ref in ("4011111111", "4022222222", "4033333333", "4044444444")] == [
        "Room 1", "Room 2", "Room 1", None]  # the fourth finds both taken: the owner decides


def test_an_unmapped_name_waits_for_a_room_until_it_is_mapped(app, runner, demo, tmp_path):
    with app.app_context():
        start = property_today() + timedelta(days=30)
    path = tmp_path / "export.xlsx"
    path.write_bytes(booking_com_xlsx([booking_com_row("4011111111", "Alpha, Ann", "Ann Alpha", start,
                                                       start + timedelta(days=3), "ok", "Garden Suite")]))
    result = runner.invoke(args=["import-bookings", str(path)])
    assert result.exit_code == 0 and "needs a room (Garden Suite)" in result.output
    assert room_of(app, "4011111111") is None

    result = runner.invoke(args=["map-room", "Garden Suite", "Room 2"])
    assert "4011111111" in result.output and "is now in Room 2" in result.output
    assert room_of(app, "4011111111") == "Room 2"
    assert "unchanged" in runner.invoke(args=["import-bookings", str(path)]).output


def test_map_room_refuses_an_unknown_room(runner, demo):
    result = runner.invoke(args=["map-room", "Double Room", "Room 9"])
    assert result.exit_code != 0 and "No room called 'Room 9'" in result.output


def test_a_booking_waiting_for_a_room_is_not_checked_in_yet(app, guest, demo):
    with app.app_context():
        db.session.add(Booking(reference="4011111111", platform_reference="4011111111", surname="Alpha",
                               source="booking.com", source_room_name="Garden Suite", check_in_date=property_today(),
                               check_out_date=property_today() + timedelta(days=1)))
        db.session.commit()
    page = guest.find_booking("4011111111", "Alpha")
    assert page.status_code == 200 and b"not quite ready for online check-in" in page.data
