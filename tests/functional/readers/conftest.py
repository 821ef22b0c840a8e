"""Fixtures shared by the reader functional tests."""

from __future__ import annotations

import pytest

from tests.support.readers import Collector


@pytest.fixture
def collector() -> Collector:
    """Callbacks for the reader under test, recording what it reports."""
    return Collector()
