"""Fixtures for the supervisor tests (the runtime ``rt`` and handle ``me`` come from
tests/conftest.py)."""

from __future__ import annotations

import pytest

from tests.supervisors.sup_helpers import Journal


@pytest.fixture
def journal() -> Journal:
    """Where workers record what they did."""
    return Journal()
