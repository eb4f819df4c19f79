"""Underlyings by name or group: `underlyings`, `G6_UNDERLYINGS`, defaults by kind, and errors naming file, key
and value."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from g6_pipeline.settings import ConfigError, load_settings


def test_the_environment_names_indices_and_stocks_in_priority_order(tmp_path: Path) -> None:
    loaded = load_settings(tmp_path, environ={"G6_UNDERLYINGS": "RELIANCE,nifty, MIDCPNIFTY,BANKEX"})
    s = loaded.settings
    assert list(s.enabled_indices) == ["NIFTY", "MIDCPNIFTY", "BANKEX", "RELIANCE"]
    assert loaded.source_of("underlyings") == "env G6_UNDERLYINGS"
    mid, bankex, rel = s.indices["MIDCPNIFTY"], s.indices["BANKEX"], s.indices["RELIANCE"]
    assert (mid.exchange, mid.spot_key, mid.expiry_tags, mid.wings) == (
        "NFO", "NSE:NIFTY MID SELECT", ["this_month", "next_month"], True)
    assert (bankex.exchange, bankex.spot_key) == ("BFO", "BSE:BANKEX")
    assert (rel.kind, rel.exchange, rel.spot_key, rel.expiry_tags, rel.strikes_below, rel.wings) == (
        "stock", "NFO", "NSE:RELIANCE", ["this_month", "next_month"], 5, False)


def test_groups_expand_and_the_file_overrides_key_by_key(tmp_path: Path) -> None:
    (tmp_path / "platform_config.json").write_text(json.dumps({"underlyings": ["fo_stocks", "indices"]}))
    (tmp_path / "indices_config.json").write_text(json.dumps({"RELIANCE": {"strikes_above": 8},
                                                              "SENSEX": {"enabled": False}}))
    s = load_settings(tmp_path, environ={}).settings
    names = list(s.enabled_indices)
    assert len(names) == 6 + 207 and names[:6] == ["NIFTY", "BANKNIFTY", "FINNIFTY", "MIDCPNIFTY", "NIFTYNXT50", "BANKEX"]
    assert (s.indices["RELIANCE"].strikes_above, s.indices["RELIANCE"].strikes_below) == (8, 5)
    # the environment replaces the file's list; the entries of the file still apply to the names it keeps
    s = load_settings(tmp_path, environ={"G6_UNDERLYINGS": "RELIANCE"}).settings
    assert list(s.indices) == ["RELIANCE"] and s.indices["RELIANCE"].strikes_above == 8


def test_a_stock_missing_from_the_table_is_collected_with_its_exchange(tmp_path: Path) -> None:
    (tmp_path / "indices_config.json").write_text(json.dumps({"NEWCO": {"exchange": "NFO"}}))
    s = load_settings(tmp_path, environ={}).settings
    assert (s.indices["NEWCO"].kind, s.indices["NEWCO"].spot_key) == ("stock", "NSE:NEWCO")


@pytest.mark.parametrize(
    ("files", "env", "expected"),
    [
        ({}, {"G6_UNDERLYINGS": "NIFTY,RELIANC"},
         "env G6_UNDERLYINGS: key 'underlyings.1' = 'RELIANC': 'RELIANC' is not an optionable underlying or group "
         "G6 knows; closest: RELIANCE"),
        ({"platform_config.json": {"underlyings": ["indices", "fo_stock"]}}, {},
         "platform_config.json: key 'underlyings.1' = 'fo_stock'"),
        ({"platform_config.json": {"underlyings": "NIFTY"}}, {}, "key 'underlyings' = 'NIFTY'"),
        ({"indices_config.json": {"HDFCBNK": {"strikes_below": 2}}}, {},
         "indices_config.json: key 'indices.HDFCBNK' = 'HDFCBNK': 'HDFCBNK' is not an optionable underlying or group "
         "G6 knows; closest: HDFCBANK"),
        ({"indices_config.json": {"RELIANCE": {"expiry_tags": ["this_year"]}}}, {},
         "key 'indices.RELIANCE.expiry_tags.0' = 'this_year'"),
    ],
)
def test_errors_name_file_key_and_value(tmp_path: Path, files: dict[str, object], env: dict[str, str],
                                        expected: str) -> None:
    for name, content in files.items():
        (tmp_path / name).write_text(json.dumps(content))
    with pytest.raises(ConfigError) as caught:
        load_settings(tmp_path, environ=env)
    assert expected in str(caught.value)
    assert str(caught.value).count("\n") == 0
