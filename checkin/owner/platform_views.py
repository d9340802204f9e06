"""Bookings from the platforms: their room names, and the bookings the owner must sort out."""
from flask import abort, flash, redirect, render_template, request, url_for

from ..locks import LockCloudError
from ..services import booking_inbox, owner_dashboard
from ..services.owner_actions import ActionRefused
from ..services.room_names import (
    MappingRefused,
    map_room_name,
    move_booking,
    room_mappings,
)
from .auth import owner_required
from .blueprint import bp
from .forms import RoomNameForm


@bp.route("/room-names", methods=["GET", "POST"])
@owner_required
def room_names():
    form = RoomNameForm()
    if request.method == "GET" and request.args.get("name"):
        form.source_name.data = request.args["name"][:200]
    if form.validate_on_submit():
        names = [room.name for room in form.chosen_rooms()]
        try:
            rooms, placed = map_room_name(form.source_name.data, names)
        except MappingRefused as refusal:
            flash(str(refusal), "error")
        else:
            flash(f"\u201c{form.source_name.data}\u201d now stands for {', '.join(room.name for room in rooms)}"
                  + (f"; {len(placed)} waiting booking(s) got a room." if placed else "."), "success")
            return redirect(url_for("owner.room_names"))
    return render_template("owner/room_names.html", form=form, mappings=room_mappings())


@bp.route("/to-sort-out")
@owner_required
def to_sort_out():
    return render_template("owner/to_sort_out.html", inbox=booking_inbox.inbox())


@bp.route("/bookings/<reference>/room", methods=["POST"])
@owner_required
def move_to_room(reference: str):
    booking = _booking_or_404(reference)
    try:
        move_booking(booking, request.form.get("room_id", type=int) or 0)
    except MappingRefused as refusal:
        flash(str(refusal), "error")
    else:
        flash(f"Booking {booking.reference} is now in {booking.room.name}.", "success")
    return redirect(url_for("owner.to_sort_out"))


@bp.route("/bookings/<reference>/calendar-cancellation", methods=["POST"])
@owner_required
def confirm_calendar_cancellation(reference: str):
    booking = _booking_or_404(reference)
    try:
        booking_inbox.confirm_missing_stay_cancelled(booking)
    except ActionRefused as refusal:
        flash(str(refusal), "error")
    except LockCloudError:
        flash(f"Booking {reference} is cancelled; its code comes off the locks at the next sweep.", "warning")
    else:
        flash(f"Booking {reference} is cancelled.", "success")
    return redirect(url_for("owner.to_sort_out"))


@bp.route("/bookings/<reference>/calendar-keep", methods=["POST"])
@owner_required
def keep_calendar_booking(reference: str):
    booking_inbox.keep_missing_stay(_booking_or_404(reference))
    flash(f"Booking {reference} stays; its guest can check in.", "success")
    return redirect(url_for("owner.to_sort_out"))


def _booking_or_404(reference: str):
    booking = owner_dashboard.booking_by_reference(reference)
    if booking is None:
        abort(404)
    return booking
