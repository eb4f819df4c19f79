"""Holiday lists as the exchanges publish them: NSE's holiday master JSON and a date,description CSV, refused with
the line named when malformed, merged into the holiday file without losing what it had."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

import pytest

from g6_pipeline.core.calendar import IST, MarketCalendar, packaged_holidays
from g6_pipeline.core.holiday_import import (
    Holiday,
    HolidayImportError,
    merge_holidays,
    parse_csv,
    parse_day,
    read_holiday_list,
)
from g6_pipeline_tests.fakes.holidays import FO_2027, nse_entry, nse_file

NOW = datetime(2026, 12, 18, 11, 0, tzinfo=IST)


def test_nse_dates_parse_in_english_whatever_the_case() -> None:
    assert parse_day("26-Jan-2027") == date(2027, 1, 26) == parse_day("26-JAN-2027") == parse_day("2027-01-26")
    assert parse_day("5-Nov-2027") == date(2027, 11, 5)
    for bad in ("31-Feb-2027", "26-Jnu-2027", "26/01/2027", "2027-1-26", ""):
        assert parse_day(bad) is None, bad


@pytest.mark.parametrize("pretty", [False, True])
def test_the_fo_segment_of_nse_holiday_master_is_read(tmp_path: Path, pretty: bool) -> None:
    found = read_holiday_list(nse_file(tmp_path, FO_2027, pretty=pretty))
    assert [(h.day, h.name) for h in found] == [
        (date(2027, 1, 26), "Republic Day"), (date(2027, 3, 6), "Mahashivratri"), (date(2027, 3, 22), "Holi")
    ]
    if pretty:  # each holiday's line is the line its entry opens on, its tradingDate two lines below
        text = (tmp_path / "holiday-master.json").read_text().splitlines()
        assert [text[h.line - 1].strip() for h in found] == ["{"] * 3
        assert [text[h.line + 1].strip() for h in found] == [f'"tradingDate": "{e["tradingDate"]}",' for e in FO_2027]
    cash = read_holiday_list(nse_file(tmp_path, FO_2027, pretty=pretty), segment="CM")
    assert [h.name for h in cash] == ["Republic Day (cash)"]


@pytest.mark.parametrize(
    ("entry", "words"),
    [
        (nse_entry(3, "22-Mar-2027", "Friday", "Holi"), "FO entry 3: weekDay 'Friday' but 22-Mar-2027 is a Monday"),
        (nse_entry(3, "31-Feb-2027", "Monday", "Holi"), "FO entry 3: tradingDate '31-Feb-2027' is not a date"),
        (nse_entry(3, "22-Mar-2027", "Monday", " "), "FO entry 3: no description for 22-Mar-2027"),
        ("22-Mar-2027", "FO entry 3: expected an object with tradingDate and description"),
    ],
)
def test_a_malformed_nse_entry_refuses_the_file_naming_its_line(tmp_path: Path, entry: object, words: str) -> None:
    path = nse_file(tmp_path, [*FO_2027[:2], entry], pretty=True)  # type: ignore[list-item]
    line = next(i for i, text in enumerate(path.read_text().splitlines(), 1) if "22-Mar" in text or "31-Feb" in text
                or text.strip() == '"22-Mar-2027"')
    with pytest.raises(HolidayImportError) as caught:
        read_holiday_list(path)
    assert str(caught.value).startswith(f"{path} line ")
    assert words in str(caught.value)
    if isinstance(entry, str):
        assert f"line {line}:" in str(caught.value)
    else:  # the entry starts a few lines above its tradingDate
        reported = int(str(caught.value).split(" line ")[1].split(":")[0])
        assert line - 3 <= reported < line


def test_minified_json_names_line_1_and_the_entry(tmp_path: Path) -> None:
    path = nse_file(tmp_path, [*FO_2027[:2], nse_entry(3, "22-Mar-2027", "Sunday", "Holi")], pretty=False)
    with pytest.raises(HolidayImportError, match=r"holiday-master\.json line 1: FO entry 3: weekDay 'Sunday'"):
        read_holiday_list(path)


def test_broken_json_and_a_missing_segment_are_refused(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text('{"FO": [\n  {"tradingDate": "26-Jan-2027",}\n]}')
    with pytest.raises(HolidayImportError, match=r"broken\.json line 2 column \d+: not valid JSON"):
        read_holiday_list(broken)
    with pytest.raises(HolidayImportError, match=r"no 'IRD' segment in NSE's holiday master \(segments: CD, CM, FO\)"):
        read_holiday_list(nse_file(tmp_path, FO_2027, pretty=False), segment="IRD")


def test_a_date_description_csv_is_read_with_its_lines(tmp_path: Path) -> None:
    text = "date,description\n# NSE circular of December 2026\n2027-01-26,Republic Day\n\n22-Mar-2027,\"Holi\"\n"
    found = parse_csv(text, "list.csv")
    assert found == [Holiday(date(2027, 1, 26), "Republic Day", 3), Holiday(date(2027, 3, 22), "Holi", 5)]


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("date,description\n2027-01-26,Republic Day\n2027-13-01,Holi\n", "list.csv line 3: '2027-13-01' is not a date"),
        ("2027-01-26,Republic Day,extra\n", "list.csv line 1: expected 2 columns date,description, got 3"),
        ("2027-01-26\n", "list.csv line 1: expected 2 columns date,description, got 1"),
        ("2027-01-26,Republic Day\n2027-03-22,\n", "list.csv line 2: no description for 2027-03-22"),
    ],
)
def test_a_malformed_csv_line_is_named(text: str, words: str) -> None:
    with pytest.raises(HolidayImportError) as caught:
        parse_csv(text, "list.csv")
    assert str(caught.value) == words or str(caught.value).startswith(words)


def test_an_empty_list_or_binary_file_is_refused(tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_text("date,description\n")
    with pytest.raises(HolidayImportError, match=r"empty\.csv: no holiday listed"):
        read_holiday_list(empty)
    binary = tmp_path / "list.xlsx"
    binary.write_bytes(b"PK\x03\x04\xff\xfe")
    with pytest.raises(HolidayImportError, match=r"list\.xlsx: not UTF-8 text"):
        read_holiday_list(binary)


def test_merge_adds_weekdays_keeps_everything_and_covers_the_year(tmp_path: Path) -> None:
    target = tmp_path / "holidays.json"
    before = json.loads(packaged_holidays().read_text())
    holidays = [Holiday(date(2027, 1, 26), "Republic Day", 1), Holiday(date(2027, 3, 6), "Mahashivratri", 2),
                Holiday(date(2027, 3, 22), "Holi", 3), Holiday(date(2026, 12, 25), "Christmas Day", 4)]
    result = merge_holidays(packaged_holidays(), target, holidays, "holiday-master.json", "FO", now=NOW)
    assert result.added == (date(2027, 1, 26), date(2027, 3, 22)) and result.renamed == (date(2026, 12, 25),)
    assert (result.weekends, result.unchanged, result.years) == (1, 0, (2026, 2027))
    after = json.loads(target.read_text())
    assert after["years"]["2027"] == [{"date": "2027-01-26", "name": "Republic Day"},
                                      {"date": "2027-03-22", "name": "Holi"}]
    kept = [e for e in after["years"]["2026"] if e["date"] != "2026-12-25"]
    assert kept == [e for e in before["years"]["2026"] if e["date"] != "2026-12-25"]
    assert after["years"]["2025"] == before["years"]["2025"]
    assert after["special_sessions"] == before["special_sessions"] and after["session"] == before["session"]
    assert after["imports"] == [{"file": "holiday-master.json", "segment": "FO", "years": [2026, 2027],
                                 "at": "2026-12-18T11:00:00+05:30"}]
    calendar = MarketCalendar.load_file(target)
    assert calendar.covered_until == date(2027, 12, 31) and not calendar.is_provisional(date(2027, 1, 26))
    assert not calendar.is_trading_day(date(2027, 1, 26)) and calendar.is_trading_day(date(2027, 1, 25))
    again = merge_holidays(target, target, holidays[:3], "holiday-master.json", "FO", now=NOW)
    assert (again.added, again.renamed, again.unchanged) == ((), (), 2)
    assert json.loads(target.read_text())["years"] == after["years"]


def test_a_date_listed_twice_keeps_both_names(tmp_path: Path) -> None:
    target = tmp_path / "holidays.json"
    twice = [Holiday(date(2027, 10, 29), "Diwali Laxmi Pujan", 1), Holiday(date(2027, 10, 29), "Diwali", 2)]
    merge_holidays(packaged_holidays(), target, twice, "list.csv", now=NOW)
    assert json.loads(target.read_text())["years"]["2027"] == [{"date": "2027-10-29", "name": "Diwali Laxmi Pujan / Diwali"}]
