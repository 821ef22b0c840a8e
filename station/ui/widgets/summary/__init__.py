"""Widgets of the day summary screen."""
