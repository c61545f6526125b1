"""The suggestion target, on the held-out split of bench/similarity.py's labelled sets (no database)."""
from __future__ import annotations

import pytest

from bench.similarity import HELD_OUT_SEED, quality
from dashboard.similarity.suggestions import THRESHOLD
from dashboard.similarity.vectors import DEFAULT_KIND


@pytest.fixture(scope="module")
def held_out():
    return quality(HELD_OUT_SEED)


@pytest.mark.parametrize("labelled_set", ["bank fixtures", "demo"])
def test_nine_in_ten_right_at_seven_in_ten_covered(held_out, labelled_set):
    figures = held_out[labelled_set][DEFAULT_KIND.value]["by_threshold"][THRESHOLD]
    assert figures["accuracy"] >= 0.90
    assert figures["coverage"] >= 0.70


def test_merchants_never_categorised_mostly_get_no_suggestion(held_out):
    figures = held_out["bank fixtures"][DEFAULT_KIND.value]["by_threshold"][THRESHOLD]
    assert figures["unseen_coverage"] <= 0.10


def test_the_kind_in_use_is_at_least_as_accurate_as_the_other(held_out):
    kinds = held_out["bank fixtures"]
    assert kinds[DEFAULT_KIND.value]["top1_accuracy"] >= max(k["top1_accuracy"] for k in kinds.values())
