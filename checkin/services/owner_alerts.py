"""Telling the owner something needs them. Never carries a PIN or a room link."""
import logging

log = logging.getLogger("checkin.owner_alerts")


def alert_owner(event: str, booking_reference: str, what_to_do: str) -> None:
    """Record an event the owner must act on, naming the booking and the next step."""
    log.error("%s (booking %s). %s", event, booking_reference, what_to_do)
