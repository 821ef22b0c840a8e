"""A real portal paying through the real sandbox bank, both processes on loopback, with
school 1849 seeded (:func:`cantine_harness.portal.seed_school`), a parent login of family
``F18491`` and an intendance login; shared by the module's tests (each uses its own
amounts and references, and reads balances as differences)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from cantine_harness.sandbox_bank import SandboxBank
from tests.support.payments_portal import Payments, payments_running


@pytest.fixture(scope="module")
def pay() -> Iterator[Payments]:
    """One bank and one portal for the module's tests."""
    with payments_running() as running:
        yield running


@pytest.fixture
def bank(pay: Payments) -> Iterator[SandboxBank]:
    """The bank, notifying normally again after the test."""
    yield pay.bank
    pay.bank.control(notification="immediate")
