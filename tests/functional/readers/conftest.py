"""Fixtures shared by the reader functional tests."""

from __future__ import annotations

import pytest
from readers_helpers import Collector


@pytest.fixture
def collector() -> Collector:
    return Collector()
