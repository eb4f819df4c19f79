"""The NSE/BSE trading calendar in Asia/Kolkata: sessions, holidays and special sessions from a holiday file.

The file is `<config folder>/holidays.json` when there is one, else the copy shipped inside the package
(`g6_pipeline/core/holidays.json`). A normal day trades 09:15–15:30 IST (15:30 itself is closed); a special
session (Muhurat trading) replaces the day's hours and may fall on a holiday or a weekend. A year the file
does not cover is never a silent "no holidays" nor a stop: its weekdays are *provisional* sessions
(`is_provisional`, `Session.provisional`), collected while the exchange's own clock confirms each one (a
minute whose quotes all carry an earlier session's time is stored as nothing: the exchange is closed), and
every warning about them names the fix, `g6 calendar import FILE`. `coverage` says how many days are left
before the file ends. Every method takes timezone-aware datetimes only.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from g6_pipeline.core.clock import IST, floor_minute, to_ist

__all__ = ["IST", "CalendarError", "Coverage", "MarketCalendar", "Session", "floor_minute", "packaged_holidays"]

HOLIDAYS_FILE = "holidays.json"
IMPORT_HINT = "g6 calendar import FILE"
"""The command that adds a year's holidays from the exchange's published list (named by every warning)."""
COVERAGE_WARN_DAYS = 30
"""A holiday file that ends within this many days raises a warning (config check, diagnose, status, alert)."""


def packaged_holidays() -> Path:
    """The holiday file shipped inside the package: the default when the config folder has none."""
    return Path(str(resources.files("g6_pipeline.core").joinpath(HOLIDAYS_FILE)))


def holidays_path(config_dir: Path | None) -> Path:
    """`<config_dir>/holidays.json` when it exists (it overrides the packaged file), else the packaged file."""
    if config_dir is not None:
        candidate = Path(config_dir) / HOLIDAYS_FILE
        if candidate.exists():
            return candidate
    return packaged_holidays()


class CalendarError(ValueError):
    """The calendar cannot be loaded: a missing, unreadable or invalid holiday file."""


def read_holiday_document(path: Path) -> Any:
    """The parsed JSON of a holiday file; `CalendarError` naming the file when it cannot be read or parsed."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CalendarError(f"{path}: holiday file not found; the market calendar needs it") from None
    except json.JSONDecodeError as exc:
        raise CalendarError(f"{path}: invalid JSON at line {exc.lineno}: {exc.msg}") from None
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise CalendarError(f"{path}: cannot read the holiday file: {reason}") from None


@dataclass(frozen=True)
class Session:
    """The trading hours of one day, [open, close) in IST."""

    day: date
    open: time
    close: time
    special: bool = False
    name: str = ""
    provisional: bool = False
    """A weekday of a year the holiday file does not cover: collected, and confirmed by the exchange's clock."""

    @property
    def start(self) -> datetime:
        """First instant of the session (tz-aware IST)."""
        return datetime.combine(self.day, self.open, IST)

    @property
    def end(self) -> datetime:
        """The close (exclusive, tz-aware IST)."""
        return datetime.combine(self.day, self.close, IST)


def _hhmm(text: Any, where: str) -> time:
    try:
        return time.fromisoformat(text)
    except (TypeError, ValueError):
        raise CalendarError(f"{where}: invalid time {text!r} (want HH:MM)") from None


def _day(text: Any, where: str) -> date:
    try:
        return date.fromisoformat(text)
    except (TypeError, ValueError):
        raise CalendarError(f"{where}: invalid date {text!r} (want YYYY-MM-DD)") from None


def _shown(value: Any) -> str:
    """A value as an error message shows it: its JSON type and (the start of) its text."""
    kinds = {str: "the string", int: "the number", float: "the number", bool: "the boolean", dict: "an object",
             list: "a list", type(None): "null"}
    text = repr(value)
    return f"{kinds.get(type(value), type(value).__name__)} {text[:60]}{'…' if len(text) > 60 else ''}"


def _objects(value: Any, where: str, want: str) -> list[dict[str, Any]]:
    """`value` when it is a list of JSON objects, else a `CalendarError` naming `where` and the value."""
    if not isinstance(value, list):
        raise CalendarError(f"{where}: expected a list of {want}, got {_shown(value)}")
    for i, entry in enumerate(value):
        if not isinstance(entry, dict):
            raise CalendarError(f"{where}[{i}]: expected {want}, got {_shown(entry)}")
    return value


@dataclass(frozen=True)
class Coverage:
    """How far the holiday file reaches from one day: `level` warn (a provisional day, or the file ends within
    the warning period) or ok, and a message naming the file and the fix."""

    level: Literal["ok", "warn"]
    covered_until: date | None
    days_left: int | None
    message: str


class MarketCalendar:
    """Trading days and session minutes for the years listed in the holiday file."""

    def __init__(
        self,
        holidays: dict[date, str],
        years: frozenset[int],
        special: dict[date, Session],
        open_time: time = time(9, 15),
        close_time: time = time(15, 30),
        source: str = "<memory>",
    ) -> None:
        self._holidays = dict(holidays)
        self._years = years
        self._special = dict(special)
        self.open_time = open_time
        self.close_time = close_time
        self.source = source

    @classmethod
    def load(cls, config_dir: Path | None = None) -> MarketCalendar:
        """Read the holiday file of `config_dir` (else the packaged one); raise `CalendarError` naming the file."""
        return cls.load_file(holidays_path(config_dir))

    @classmethod
    def load_file(cls, path: Path) -> MarketCalendar:
        """Read one holiday file; raise `CalendarError` naming the file on any problem."""
        return cls.from_document(read_holiday_document(path), path)

    @classmethod
    def from_document(cls, raw: Any, path: Path | str) -> MarketCalendar:
        """The calendar of a parsed holiday file `raw`; `CalendarError` naming `path`, the key and the value."""
        if not isinstance(raw, dict) or not isinstance(raw.get("years"), dict):
            raise CalendarError(f"{path}: expected an object with a 'years' mapping")
        session = raw.get("session", {})
        if not isinstance(session, dict):
            raise CalendarError(f"{path}: session: expected an object with 'open' and 'close', got {_shown(session)}")
        open_t = _hhmm(session.get("open", "09:15"), f"{path}: session.open")
        close_t = _hhmm(session.get("close", "15:30"), f"{path}: session.close")
        holidays: dict[date, str] = {}
        years: set[int] = set()
        entry_shape = 'holidays like {"date": "YYYY-MM-DD", "name": "..."}'
        for year_text, entries in raw["years"].items():
            try:
                year = int(year_text)
            except ValueError:
                raise CalendarError(f"{path}: year key {year_text!r} is not a year") from None
            years.add(year)
            for i, entry in enumerate(_objects(entries, f"{path}: years.{year_text}", entry_shape)):
                d = _day(entry.get("date"), f"{path}: years.{year_text}[{i}].date")
                if d.year != year:
                    raise CalendarError(f"{path}: years.{year_text}[{i}]: holiday {d} listed under year {year}")
                holidays[d] = str(entry.get("name", ""))
        special: dict[date, Session] = {}
        for i, entry in enumerate(_objects(raw.get("special_sessions", []), f"{path}: special_sessions",
                                           'sessions like {"date", "open", "close", "name"}')):
            where = f"{path}: special_sessions[{i}]"
            d = _day(entry.get("date"), f"{where}.date")
            o = _hhmm(entry.get("open"), f"{where}.open")
            c = _hhmm(entry.get("close"), f"{where}.close")
            if c <= o:
                raise CalendarError(f"{where}: special session {d} closes before it opens")
            special[d] = Session(d, o, c, special=True, name=str(entry.get("name", "")))
        return cls(holidays, frozenset(years), special, open_t, close_t, source=str(path))

    # --- days -------------------------------------------------------------------------------------

    @property
    def years(self) -> frozenset[int]:
        """Years the holiday file covers."""
        return self._years

    @property
    def covered_until(self) -> date | None:
        """The last day the file covers (31 December of its last year), None when it lists no year."""
        return date(max(self._years), 12, 31) if self._years else None

    def is_provisional(self, d: date) -> bool:
        """Whether `d` is in a year the holiday file does not cover: its weekdays are provisional sessions."""
        return d.year not in self._years

    def provisional_note(self, d: date) -> str | None:
        """What to say about a provisional day `d` (what it means and the fix), None for a day the file covers."""
        if not self.is_provisional(d):
            return None
        return (f"{d} is provisional: {self.source} lists no holidays for {d.year}, so every weekday of it is "
                "collected as a session and the exchange's own clock decides whether it trades; import the "
                f"exchange's {d.year} holiday list with `{IMPORT_HINT}`")

    def coverage(self, today: date, warn_days: int = COVERAGE_WARN_DAYS) -> Coverage:
        """Whether the file covers `today` and how long it lasts: warn (provisional, or ends soon) or ok."""
        end = self.covered_until
        note = self.provisional_note(today)
        if note is not None or end is None:
            return Coverage("warn", end, None, note or "")
        days_left = (end - today).days
        if days_left <= warn_days:
            return Coverage("warn", end, days_left, f"{self.source}: covers trading days up to {end} "
                            f"({days_left} days left); after it weekdays are provisional sessions: import "
                            f"{end.year + 1}'s holiday list before then with `{IMPORT_HINT}`")
        return Coverage("ok", end, days_left, f"{self.source}: covers up to {end} ({days_left} days left)")

    def has_regular_session(self, d: date) -> bool:
        """A weekday that is not a listed holiday: full 09:15–15:30 hours (used for expiry moves).

        In a year the file does not cover every weekday is one, provisionally (`is_provisional`).
        """
        return d.weekday() < 5 and d not in self._holidays

    def session(self, d: date) -> Session | None:
        """The day's session (special hours take precedence), or None when the market is shut all day."""
        if d in self._special:
            return self._special[d]
        if self.has_regular_session(d):
            return Session(d, self.open_time, self.close_time, provisional=self.is_provisional(d))
        return None

    def is_trading_day(self, d: date) -> bool:
        """Whether the market has any session on `d` (a regular day or a special session)."""
        return self.session(d) is not None

    def trading_days(self, start: date, end: date) -> list[date]:
        """Trading days in [start, end], both inclusive."""
        out: list[date] = []
        d = start
        while d <= end:
            if self.is_trading_day(d):
                out.append(d)
            d += timedelta(days=1)
        return out

    def previous_trading_day(self, d: date) -> date:
        """The last trading day strictly before `d`."""
        cur = d - timedelta(days=1)
        while not self.is_trading_day(cur):
            cur -= timedelta(days=1)
        return cur

    def next_trading_day(self, d: date) -> date:
        """The first trading day strictly after `d`."""
        cur = d + timedelta(days=1)
        while not self.is_trading_day(cur):
            cur += timedelta(days=1)
        return cur

    def previous_regular_day(self, d: date) -> date:
        """`d` itself when it has a regular session, else the last regular day before it (expiry moves)."""
        cur = d
        while not self.has_regular_session(cur):
            cur -= timedelta(days=1)
        return cur

    # --- instants ---------------------------------------------------------------------------------

    def is_open(self, ts: datetime) -> bool:
        """Whether `ts` falls inside a session (open inclusive, close exclusive)."""
        local = to_ist(ts)
        s = self.session(local.date())
        return s is not None and s.start <= local < s.end

    def next_open(self, ts: datetime) -> datetime:
        """`ts` itself (in IST) when the market is open, else the start of the next session."""
        local = to_ist(ts)
        s = self.session(local.date())
        if s is not None:
            if s.start <= local < s.end:
                return local
            if local < s.start:
                return s.start
        nxt = self.session(self.next_trading_day(local.date()))
        assert nxt is not None
        return nxt.start

    def last_close(self, ts: datetime) -> datetime:
        """The end of the most recent session that closed at or before `ts`."""
        local = to_ist(ts)
        s = self.session(local.date())
        if s is not None and local >= s.end:
            return s.end
        prev = self.session(self.previous_trading_day(local.date()))
        assert prev is not None
        return prev.end

    def session_minutes(self, d: date) -> list[datetime]:
        """Tz-aware IST minute starts of the day's session (empty when shut): 09:15..15:29 on a normal day."""
        s = self.session(d)
        if s is None:
            return []
        count = int((s.end - s.start).total_seconds() // 60)
        return [s.start + timedelta(minutes=i) for i in range(count)]

