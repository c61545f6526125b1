"""Shared pytest fixtures."""
from pathlib import Path

import pytest

SHARED_FIXTURES = Path(__file__).resolve().parents[2] / "shared" / "fixtures"


@pytest.fixture(scope="session")
def bank_exports() -> Path:
    """The real bank export files in ../shared (CI always has them)."""
    folder = SHARED_FIXTURES / "bank-exports"
    if not folder.is_dir():
        pytest.fail(f"bank export fixtures not found at {folder}")
    return folder


@pytest.fixture(scope="session")
def sage_exports() -> Path:
    folder = SHARED_FIXTURES / "sage"
    if not folder.is_dir():
        pytest.fail(f"Sage fixtures not found at {folder}")
    return folder
