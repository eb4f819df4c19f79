"""Holiday lists as the exchanges publish them, merged into G6's holiday file (`g6 calendar import FILE`).

Two inputs are read. NSE's holiday master JSON as its website serves it (`/api/holiday-master?type=trading`):
one object whose keys are segments (`FO` equity derivatives, `CM` cash market, `CD`, …), each a list of
entries like `{"Sr_no": 1, "tradingDate": "26-Jan-2027", "weekDay": "Tuesday", "description": "Republic Day"}`;
the `FO` list decides option sessions and is the one taken unless another segment is asked for. And a plain
CSV of `date,description` lines (dates as `2027-01-26` or `26-Jan-2027`; an optional `date,description` header,
blank lines and `#` comments are skipped). Input with any malformed entry is refused whole, with an error that
names the file and the line; nothing is written then.

The merge keeps everything the holiday file had: each imported weekday joins its year (a date already listed
takes the imported name), weekend entries are skipped (a weekend never trades anyway), a year that gains
entries becomes covered, and the file is checked by loading it before it atomically replaces the old one.
"""

from __future__ import annotations

import bisect
import csv
import io
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from g6_pipeline.core.calendar import MarketCalendar, read_holiday_document
from g6_pipeline.core.clock import IST
from g6_pipeline.util.atomic_file import write_atomic

DEFAULT_SEGMENT = "FO"
"""NSE's equity-derivatives segment: its holidays are the days without option sessions."""
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_NSE_DATE = re.compile(r"^(\d{1,2})-([A-Za-z]{3})-(\d{4})$")


class HolidayImportError(ValueError):
    """A holiday list refused as a whole; the message names the file and the line."""


@dataclass(frozen=True)
class Holiday:
    """One listed holiday and the line of the input it came from."""

    day: date
    name: str
    line: int


@dataclass(frozen=True)
class ImportResult:
    """What a merge did to the holiday file."""

    path: Path
    added: tuple[date, ...]
    renamed: tuple[date, ...]
    unchanged: int
    weekends: int
    years: tuple[int, ...]
    """The years the imported weekdays fall in (each covered by the file afterwards)."""


def parse_day(text: str) -> date | None:
    """`2027-01-26` or NSE's `26-Jan-2027` (English month names whatever the locale), else None."""
    text = text.strip()
    found = _NSE_DATE.match(text)
    try:
        if found:
            month = [m.lower() for m in MONTHS].index(found.group(2).lower()) + 1
            return date(int(found.group(3)), month, int(found.group(1)))
        return date.fromisoformat(text) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text) else None
    except ValueError:
        return None


def read_holiday_list(path: Path, segment: str = DEFAULT_SEGMENT) -> list[Holiday]:
    """The holidays listed in `path`: NSE's holiday master JSON (its `segment` list) or a `date,description` CSV."""
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise HolidayImportError(f"{path}: not UTF-8 text; expected NSE's holiday master JSON or a "
                                 "date,description CSV") from None
    found = parse_nse_json(text, str(path), segment) if text.lstrip().startswith("{") else parse_csv(text, str(path))
    if not found:
        raise HolidayImportError(f"{path}: no holiday listed; nothing to import")
    return found


def parse_nse_json(text: str, source: str, segment: str = DEFAULT_SEGMENT) -> list[Holiday]:
    """The entries of one segment of NSE's holiday master JSON; `HolidayImportError` naming the line."""
    try:
        raw: Any = json.loads(text)
    except json.JSONDecodeError as exc:
        raise HolidayImportError(f"{source} line {exc.lineno} column {exc.colno}: not valid JSON: {exc.msg}") from None
    if not isinstance(raw, dict):
        raise HolidayImportError(f"{source} line 1: expected NSE's holiday master, an object of segments like FO")
    if segment not in raw:
        keys = ", ".join(sorted(map(str, raw))) or "none"
        raise HolidayImportError(f"{source}: no {segment!r} segment in NSE's holiday master (segments: {keys})")
    entries = raw[segment]
    if not isinstance(entries, list):
        line = _line_of(text, text.find(f'"{segment}"'))
        raise HolidayImportError(f"{source} line {line}: segment {segment} is not a list of holidays")
    lines = _entry_lines(text, segment, len(entries))
    out = []
    for i, entry in enumerate(entries):
        where = f"{source} line {lines[i] if lines else '?'}: {segment} entry {i + 1}"
        out.append(_nse_entry(entry, where, lines[i] if lines else 0))
    return out


def _nse_entry(entry: Any, where: str, line: int) -> Holiday:
    """One NSE entry, its `weekDay` checked against its `tradingDate`."""
    if not isinstance(entry, dict):
        raise HolidayImportError(f"{where}: expected an object with tradingDate and description, got {entry!r:.60}")
    trading = entry.get("tradingDate")
    day = parse_day(trading) if isinstance(trading, str) else None
    if day is None:
        raise HolidayImportError(f"{where}: tradingDate {trading!r:.40} is not a date like 26-Jan-2027")
    weekday = entry.get("weekDay")
    if weekday is not None and (not isinstance(weekday, str) or weekday.strip().lower() != WEEKDAYS[day.weekday()].lower()):
        raise HolidayImportError(f"{where}: weekDay {weekday!r:.40} but {trading} is a {WEEKDAYS[day.weekday()]}")
    name = entry.get("description")
    if not isinstance(name, str) or not name.strip():
        raise HolidayImportError(f"{where}: no description for {trading}")
    return Holiday(day, " ".join(name.split()), line)


def _line_of(text: str, position: int) -> int:
    return text.count("\n", 0, max(position, 0)) + 1


def _entry_lines(text: str, segment: str, count: int) -> list[int] | None:
    """The line each entry of `segment`'s list starts on, found by walking the list's JSON values in order;
    None when the walk does not find exactly `count` entries (then errors name the entry alone)."""
    decoder = json.JSONDecoder()
    newlines = [i for i, ch in enumerate(text) if ch == "\n"]
    for match in re.finditer(rf'"{re.escape(segment)}"\s*:\s*\[', text):
        pos, lines = match.end(), []
        try:
            while True:
                pos = _skip_space(text, pos)
                if text[pos] == "]":
                    break
                lines.append(bisect.bisect_right(newlines, pos) + 1)
                _, pos = decoder.raw_decode(text, pos)
                pos = _skip_space(text, pos)
                if text[pos] == ",":
                    pos += 1
        except (ValueError, IndexError):
            continue
        if len(lines) == count:
            return lines
    return None


def _skip_space(text: str, pos: int) -> int:
    while text[pos] in " \t\r\n":
        pos += 1
    return pos


def parse_csv(text: str, source: str) -> list[Holiday]:
    """The rows of a `date,description` CSV; `HolidayImportError` naming the first malformed line."""
    reader = csv.reader(io.StringIO(text))
    out: list[Holiday] = []
    for row in reader:
        line = reader.line_num
        cells = [c.strip() for c in row]
        if not any(cells) or cells[0].startswith("#"):
            continue
        if not out and cells[0].lower() == "date":
            continue  # the header
        if len(cells) != 2:
            raise HolidayImportError(f"{source} line {line}: expected 2 columns date,description, got {len(cells)}")
        day = parse_day(cells[0])
        if day is None:
            raise HolidayImportError(f"{source} line {line}: {cells[0]!r:.40} is not a date like 2027-01-26 "
                                     "or 26-Jan-2027")
        if not cells[1]:
            raise HolidayImportError(f"{source} line {line}: no description for {cells[0]}")
        out.append(Holiday(day, " ".join(cells[1].split()), line))
    return out


def merge_holidays(
    base: Path, target: Path, holidays: Sequence[Holiday], imported_from: str, segment: str | None = None,
    now: datetime | None = None,
) -> ImportResult:
    """Merge `holidays` into the holiday file `base` and write the result to `target` (the same file, or the
    config folder's new copy of the packaged one). `imported_from` (a file name, no folder) is noted in the
    file's `imports` list. Raises `CalendarError` when `base` or the merged file does not load."""
    document = read_holiday_document(base)
    MarketCalendar.from_document(document, base)  # the file as it is must be valid before anything is added
    years: dict[str, list[dict[str, Any]]] = document["years"]
    weekdays = [h for h in holidays if h.day.weekday() < 5]
    names: dict[date, str] = {}
    for h in weekdays:  # an input listing a date twice keeps both names
        names[h.day] = h.name if names.get(h.day) in (None, h.name) else f"{names[h.day]} / {h.name}"
    added, renamed = [], []
    for day, name in sorted(names.items()):
        entries = years.setdefault(str(day.year), [])
        listed = next((e for e in entries if e.get("date") == day.isoformat()), None)
        if listed is None:
            entries.append({"date": day.isoformat(), "name": name})
            added.append(day)
        elif listed.get("name") != name:
            listed["name"] = name
            renamed.append(day)
    for key in {str(d.year) for d in names}:
        years[key].sort(key=lambda e: str(e.get("date")))
    document["years"] = dict(sorted(years.items()))
    touched = sorted({d.year for d in names})
    stamp = (now or datetime.now(IST)).astimezone(IST).isoformat(timespec="seconds")
    note = {"file": imported_from, "segment": segment, "years": touched, "at": stamp}
    document["imports"] = [*document.get("imports", []), {k: v for k, v in note.items() if v is not None}]
    data = holiday_file_bytes(document)
    MarketCalendar.from_document(json.loads(data), target)
    write_atomic(target, data)
    return ImportResult(target, tuple(added), tuple(renamed), len(names) - len(added) - len(renamed),
                        len(holidays) - len(weekdays), tuple(touched))


def holiday_file_bytes(document: dict[str, Any]) -> bytes:
    """The holiday file as G6 ships it: two-space indents, one holiday or special session per line."""
    parts = []
    for key, value in document.items():
        if key == "years" and isinstance(value, dict):
            years = [f'    {json.dumps(year)}: ' + _one_per_line(entries, "    ") for year, entries in value.items()]
            body = "{\n" + ",\n".join(years) + "\n  }" if years else "{}"
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            body = _one_per_line(value, "  ")
        else:
            body = json.dumps(value, ensure_ascii=False)
        parts.append(f"  {json.dumps(key)}: {body}")
    return ("{\n" + ",\n".join(parts) + "\n}\n").encode("utf-8")


def _one_per_line(entries: list[Any], indent: str) -> str:
    if not entries:
        return "[]"
    rows = [f"{indent}  {json.dumps(e, ensure_ascii=False)}" for e in entries]
    return "[\n" + ",\n".join(rows) + f"\n{indent}]"
