"""Widgets of the serving screen."""
