"""The Textual serving app: renders verdicts and screens, holds no rules.

Every decision comes from :class:`station.engine.ServingLine`; everything a screen shows
from its read-side companion ``line.views`` (:class:`station.views.LineViews`). Nothing
here imports ``station.store`` (a layering test checks). Built by
:func:`station.ui.app.build_app`.
"""
