"""The one number style of the views: grouping, rounding, signs, units (values worked out by hand)."""

from __future__ import annotations

import math

import pytest

from g6_pipeline.live.numbers import NumberFormat, group_digits
from g6_pipeline.settings.model import Settings

INDIAN, WESTERN = NumberFormat("indian"), NumberFormat("western")


@pytest.mark.parametrize(
    ("digits", "indian", "western"),
    [("7", "7", "7"), ("870", "870", "870"), ("4870", "4,870", "4,870"), ("70870", "70,870", "70,870"),
     ("470870", "4,70,870", "470,870"), ("3470870", "34,70,870", "3,470,870"),
     ("123456789", "12,34,56,789", "123,456,789")],
)  # fmt: skip
def test_digit_grouping(digits: str, indian: str, western: str) -> None:
    assert group_digits(digits, "indian") == indian
    assert group_digits(digits, "western") == western


def test_numbers_rounding_and_signs() -> None:
    assert INDIAN.number(3470870, 0) == "34,70,870" and WESTERN.number(3470870, 0) == "3,470,870"
    assert INDIAN.number(12345678.5) == "1,23,45,678.50" and INDIAN.number(-1234.5) == "-1,234.50"
    assert INDIAN.number(0.125) == "0.13"  # an exact tie rounds away from zero, as Intl.NumberFormat does
    assert INDIAN.number(2.675) == "2.67"  # 2.675 is stored as 2.67499999…
    assert INDIAN.number(81540, 0, signed=True) == "+81,540" and INDIAN.number(-345540, 0, signed=True) == "-3,45,540"
    assert INDIAN.number(-0.001) == "0.00" and INDIAN.number(0.0, 0, signed=True) == "0"
    assert [INDIAN.number(v) for v in (None, math.nan, math.inf, True, "12")] == ["-"] * 5
    assert INDIAN.percent(0.142) == "14.2%" and INDIAN.percent(None) == "-"


def test_quantities_in_contracts_or_units() -> None:
    contracts, units = NumberFormat(quantities="contracts"), NumberFormat(quantities="units")
    assert contracts.quantity(73_905_325, 65) == 1_137_005  # 65 × 11,37,005
    assert contracts.quantity(130, 65) == 2 and units.quantity(130, 65) == 130
    assert contracts.quantity(130, None) is None and contracts.quantity(None, 65) is None
    assert contracts.unit_words(65) == "OI, volume and bid/ask quantities in contracts (lots of 65)"
    assert units.unit_words(30) == "OI, volume and bid/ask quantities in units (lot size 30)"


def test_the_style_comes_from_the_settings() -> None:
    assert NumberFormat.from_settings(Settings()) == NumberFormat("indian", "contracts")
    chosen = Settings.model_validate({"display": {"digit_grouping": "western", "quantities": "units"}})
    assert NumberFormat.from_settings(chosen).locale == "en-US" and NumberFormat().locale == "en-IN"


def test_crores_and_the_iv_rank_with_its_history() -> None:
    assert INDIAN.crore(2.5e9) == "+250.0" and INDIAN.crore(-1.234e8) == "-12.3" and INDIAN.crore(None) == "-"
    assert INDIAN.crore(3.21e13) == "+32,10,000.0"  # 3.21e13 rupees: 32.1 lakh crore
    assert INDIAN.iv_rank(45.4, 59.6, "bhavcopy") == "45/60 bhavcopy"
    assert INDIAN.iv_rank(math.nan, 100.0, "collected") == "-/100 collected"  # a flat history has no rank
    assert INDIAN.iv_rank(math.nan, math.nan, "simulated", 1) == "- (1 simulated close)"
    assert INDIAN.iv_rank(None, None, "", 0) == "-"
