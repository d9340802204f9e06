"""Rooms and locks, as the owner sets them up: the lists, add and edit."""
from flask import abort, flash, redirect, render_template, url_for
from sqlalchemy import select

from ..extensions import db
from ..models import AuditAction, Lock, Room
from ..services.audit import record_event
from ..services.property_setup import SetupError, save_lock, save_room
from .auth import owner_required
from .blueprint import bp
from .forms import LockForm, RoomForm


@bp.route("/rooms")
@owner_required
def rooms():
    return render_template("owner/rooms.html", rooms=db.session.scalars(select(Room).order_by(Room.name)).all())


@bp.route("/rooms/new", methods=["GET", "POST"], defaults={"room_id": None})
@bp.route("/rooms/<int:room_id>/edit", methods=["GET", "POST"])
@owner_required
def edit_room(room_id: int | None):
    room = db.session.get(Room, room_id) if room_id is not None else None
    if room_id is not None and room is None:
        abort(404)
    form = RoomForm(obj=room, lock_ttlock_id=room.lock.ttlock_id if room and room.lock else 0)
    if room is not None and room.lock is not None:
        form.lock_ttlock_id.choices = form.lock_ttlock_id.choices[1:]  # save_room keeps a lock it is not given
    if form.validate_on_submit():
        details = {name: form[name].data for name in ("floor", "directions", "wifi_name", "wifi_password")}
        try:
            saved, _ = save_room(room.name if room else form.name.data, form.lock_ttlock_id.data or None, **details)
        except SetupError as problem:
            form.lock_ttlock_id.errors.append(str(problem))
        else:
            record_event(AuditAction.ROOM_SAVED, None, saved.name)
            flash(f"{saved.name} saved.", "success")
            return redirect(url_for("owner.rooms"))
    return render_template("owner/room_form.html", form=form, room=room)


@bp.route("/locks")
@owner_required
def locks():
    return render_template("owner/locks.html", locks=db.session.scalars(select(Lock).order_by(Lock.name)).all())


@bp.route("/locks/new", methods=["GET", "POST"], defaults={"lock_id": None})
@bp.route("/locks/<int:lock_id>/edit", methods=["GET", "POST"])
@owner_required
def edit_lock(lock_id: int | None):
    lock = db.session.get(Lock, lock_id) if lock_id is not None else None
    if lock_id is not None and lock is None:
        abort(404)
    form = LockForm(obj=lock, front_door=lock.is_front_door if lock else False)
    if form.validate_on_submit():
        try:
            saved, _ = save_lock(form.name.data, lock.ttlock_id if lock else form.ttlock_id.data, form.front_door.data)
        except SetupError as problem:
            form.name.errors.append(str(problem))
        else:
            record_event(AuditAction.LOCK_SAVED, None, f"{saved.name} (TTLock id {saved.ttlock_id})")
            flash(f"{saved.name} saved.", "success")
            return redirect(url_for("owner.locks"))
    return render_template("owner/lock_form.html", form=form, lock=lock)
