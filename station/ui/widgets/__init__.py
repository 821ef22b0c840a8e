"""Widgets of the serving app, one per module, grouped by the screen that shows them."""
