"""Bookings: the list and search, add, edit, and the CSV import with its preview."""
from flask import abort, flash, redirect, render_template, request, url_for

from ..security import accepts_bodies_up_to
from ..services import owner_actions, owner_dashboard
from ..services.booking_import_preview import (
    MAX_FILE_BYTES,
    ImportRefused,
    apply_import,
    decode_file_data,
    preview_import,
)
from .auth import owner_required
from .blueprint import bp
from .forms import ApplyImportForm, BookingForm, EditBookingForm, ImportForm


@bp.route("/bookings")
@owner_required
def bookings():
    query = request.args.get("q", "")[:100]
    return render_template("owner/bookings.html", bookings=owner_dashboard.find_bookings(query), query=query)


@bp.route("/bookings/new", methods=["GET", "POST"])
@owner_required
def add_booking():
    form = BookingForm()
    if not form.validate_on_submit():
        return render_template("owner/booking_form.html", form=form, booking=None)
    booking = owner_actions.add_booking(form.reference.data, form.surname.data, form.room_id.data,
                                        form.check_in_date.data, form.check_out_date.data)
    flash(f"Booking {booking.reference} added.", "success")
    return redirect(url_for("owner.booking", reference=booking.reference))


@bp.route("/bookings/<reference>/edit", methods=["GET", "POST"])
@owner_required
def edit_booking(reference: str):
    booking = owner_dashboard.booking_by_reference(reference)
    if booking is None:
        abort(404)
    form = EditBookingForm(obj=booking)
    if not form.validate_on_submit():
        return render_template("owner/booking_form.html", form=form, booking=booking)
    pin_moves = owner_actions.edit_booking(booking, form.surname.data, form.room_id.data,
                                           form.check_in_date.data, form.check_out_date.data,
                                           platform_reference=form.platform_reference.data)
    flash(f"Booking {booking.reference} saved.", "success")
    if pin_moves:
        flash("The guest's PIN moves with the booking: the same PIN, on the room's door and for the new dates "
              "(an ended stay's codes come off). This page shows the doors once the locks have it.", "info")
    return redirect(url_for("owner.booking", reference=booking.reference))


@bp.route("/bookings/import", methods=["GET", "POST"])
@owner_required
@accepts_bodies_up_to("IMPORT_MAX_CONTENT_LENGTH")
def import_bookings():
    form = ImportForm()
    if not form.validate_on_submit():
        return render_template("owner/import.html", form=form)
    upload = form.csv_file.data
    try:
        preview = preview_import(upload.read(MAX_FILE_BYTES + 1), upload.filename or "bookings",
                                 form.file_format.data, form.date_order.data)
    except ImportRefused as refusal:
        return render_template("owner/import.html", form=form, message=str(refusal))
    return _render_preview(preview)


@bp.route("/bookings/import/apply", methods=["POST"])
@owner_required
@accepts_bodies_up_to("IMPORT_MAX_CONTENT_LENGTH")
def apply_bookings_import():
    form = ApplyImportForm()
    if not form.validate_on_submit():
        return redirect(url_for("owner.import_bookings"))
    fields = (form.file_data.data, form.file_name.data, form.file_format.data, form.date_order.data)
    try:
        report = apply_import(*fields, form.fingerprint.data)
    except ImportRefused as refusal:
        try:
            preview = preview_import(decode_file_data(fields[0]), *fields[1:])
        except ImportRefused as still_refused:
            return render_template("owner/import.html", form=ImportForm(formdata=None), message=str(still_refused))
        return _render_preview(preview, message=str(refusal))
    flash(f"Imported: {report.summary()}.", "success")
    for note in report.notes:
        flash(note, "warning")
    return redirect(url_for("owner.bookings"))


def _render_preview(preview, message=None):
    form = ApplyImportForm(file_data=preview.file_data, file_name=preview.file_name, file_format=preview.file_format,
                           date_order=preview.date_order, fingerprint=preview.fingerprint, formdata=None)
    return render_template("owner/import_preview.html", preview=preview, form=form, message=message)
