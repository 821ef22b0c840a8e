"""The Textual serving app (DESIGN §2 "ui"): renders verdicts and screens, holds no rules.

Every decision comes from :class:`station.engine.ServingLine`; every count from
:mod:`station.store.screens_read`. Built by :func:`station.ui.app.build_app`.
"""
