"""Benchmarks of the check-in app, run by hand: python -m benchmarks.checkin_flow."""
