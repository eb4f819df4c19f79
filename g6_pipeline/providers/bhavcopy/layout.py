"""Reading the exchanges' F&O bhavcopy in the UDiFF layout into typed option rows.

NSE publishes one CSV per trading day (`BhavCopy_NSE_FO_0_0_0_YYYYMMDD_F_0000.csv.zip`, zipped), BSE its
derivatives bhavcopy in the same column set (`BhavCopy_BSE_FO_0_0_0_YYYYMMDD_F_0000.CSV`). A file is read
zipped or not; its option rows (`OptnTp` CE or PE, index and stock options alike; futures rows are skipped)
of the asked days and underlyings become one row each of `ROW_COLUMNS`. Units are the file's: prices in
rupees, `OpnIntrst`, `ChngInOpnIntrst` and `TtlTradgVol` in units (shares), `NewBrdLotQty` the lot size.

Every row that is kept is checked; the first problem raises `BhavcopyError` naming the file, the line (the
header is line 1) and the column. An empty cell is a value the exchange did not give: NaN, never 0. A price
of 0 is how the file says "no price" (an untraded contract's close, a new contract's previous close), so
prices are NaN there too; an OI or volume of 0 is a real zero and stays.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Collection
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

UDIFF_COLUMNS: tuple[str, ...] = (
    "TradDt", "BizDt", "Sgmt", "Src", "FinInstrmTp", "FinInstrmId", "ISIN", "TckrSymb", "SctySrs", "XpryDt",
    "FininstrmActlXpryDt", "StrkPric", "OptnTp", "FinInstrmNm", "OpnPric", "HghPric", "LwPric", "ClsPric",
    "LastPric", "PrvsClsgPric", "UndrlygPric", "SttlmPric", "OpnIntrst", "ChngInOpnIntrst", "TtlTradgVol",
    "TtlTrfVal", "TtlNbOfTxsExctd", "SsnId", "NewBrdLotQty", "Rmks", "Rsvd1", "Rsvd2", "Rsvd3", "Rsvd4",
)
"""The UDiFF F&O bhavcopy's columns, in the exchanges' order."""

REQUIRED: tuple[str, ...] = (
    "TradDt", "FinInstrmTp", "TckrSymb", "XpryDt", "StrkPric", "OptnTp", "ClsPric", "PrvsClsgPric",
    "UndrlygPric", "SttlmPric", "OpnIntrst", "ChngInOpnIntrst", "TtlTradgVol", "NewBrdLotQty",
)
"""The columns G6 reads; a file without any of them is refused."""

ROW_COLUMNS: tuple[str, ...] = (
    "line", "day", "exchange", "instrument", "underlying", "expiry", "strike", "side", "close", "settle",
    "prev_close", "spot", "oi", "oi_change", "volume", "lot_size",
)
"""Columns of a read bhavcopy: `line` (int64, the CSV line), `day`/`expiry` (`datetime.date`), `exchange`
(`Src`: NSE or BSE), `instrument` (`FinInstrmTp`: IDO, STO, ...), `underlying` (`TckrSymb`), `side` (CE/PE)
str; `strike`, `close` (`ClsPric`), `settle` (`SttlmPric`), `prev_close` (`PrvsClsgPric`), `spot`
(`UndrlygPric`), `oi`, `oi_change`, `volume` float64; `lot_size` int64."""

_PRICES = {"close": "ClsPric", "settle": "SttlmPric", "prev_close": "PrvsClsgPric", "spot": "UndrlygPric"}
_COUNTS = {"oi": "OpnIntrst", "oi_change": "ChngInOpnIntrst", "volume": "TtlTradgVol"}
_SIDES = frozenset({"CE", "PE"})
FILE_NAME = re.compile(r"^BhavCopy_(NSE|BSE)_FO_0_0_0_(\d{8})_F_0000\.csv(\.zip)?$", re.IGNORECASE)
"""The archive's file name of a day's F&O bhavcopy: exchange, YYYYMMDD, zipped or not."""


class BhavcopyError(ValueError):
    """A bhavcopy that cannot be read: the message names the file and, for a bad value, its line and column."""


def day_of_file_name(name: str) -> date | None:
    """The trading day in an archive file name (`BhavCopy_NSE_FO_0_0_0_20260105_F_0000.csv.zip`), else None."""
    match = FILE_NAME.match(name)
    if match is None:
        return None
    try:
        return date(int(match[2][:4]), int(match[2][4:6]), int(match[2][6:]))
    except ValueError:
        return None


def file_bytes(path: Path) -> bytes:
    """The CSV text of a bhavcopy file, unzipped when it is a zip archive (of exactly one CSV)."""
    data = path.read_bytes()
    if not zipfile.is_zipfile(io.BytesIO(data)):
        return data
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = [m for m in archive.namelist() if m.lower().endswith(".csv")]
            if len(members) != 1:
                raise BhavcopyError(f"{path}: a bhavcopy zip holds one CSV, this one holds {members or 'none'}")
            return archive.read(members[0])
    except (zipfile.BadZipFile, OSError) as exc:
        raise BhavcopyError(f"{path}: unreadable zip archive: {exc}") from None


def read_bhavcopy(
    path: Path,
    start: date | None = None,
    end: date | None = None,
    underlyings: Collection[str] | None = None,
) -> pd.DataFrame:
    """The option rows of one bhavcopy file (zipped or not) as `ROW_COLUMNS`, filtered by day and underlying."""
    return parse_bhavcopy(file_bytes(Path(path)), str(path), start, end, underlyings)


def parse_bhavcopy(
    data: bytes,
    origin: str,
    start: date | None = None,
    end: date | None = None,
    underlyings: Collection[str] | None = None,
) -> pd.DataFrame:
    """The option rows of a bhavcopy's CSV text (see the module docstring); `origin` names it in errors.

    `start`/`end` (inclusive) keep the rows whose `TradDt` is in the range, `underlyings` those whose
    `TckrSymb` is listed (None: every day, every underlying).
    """
    raw = _csv(data, origin)
    side = raw["OptnTp"]
    bad_side = ~side.isin([*_SIDES, ""])
    if bad_side.any():
        _fail(origin, raw, bad_side, "OptnTp", "is neither CE, PE nor empty (a future)")
    keep = side.isin(_SIDES)
    if underlyings is not None:
        keep &= raw["TckrSymb"].isin(list(underlyings))
    rows = raw.loc[keep]
    days = _dates(origin, rows, "TradDt")
    in_range = np.ones(len(rows), dtype=bool)
    if start is not None:
        in_range &= np.array([d >= start for d in days], dtype=bool)
    if end is not None:
        in_range &= np.array([d <= end for d in days], dtype=bool)
    rows = rows.loc[in_range]
    return _typed(origin, rows, [d for d, k in zip(days, in_range, strict=True) if k])


def _csv(data: bytes, origin: str) -> pd.DataFrame:
    """Every cell as stripped text, the CSV line number in `line`; fully blank lines dropped."""
    if not data.strip():
        raise BhavcopyError(f"{origin}: empty file")
    try:
        frame = pd.read_csv(
            io.BytesIO(data), dtype=str, keep_default_na=False, skip_blank_lines=False, encoding="utf-8-sig"
        )
    except (ValueError, pd.errors.ParserError) as exc:
        raise BhavcopyError(f"{origin}: not a readable CSV: {' '.join(str(exc).split())}") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    absent = [c for c in REQUIRED if c not in frame.columns]
    if absent:
        raise BhavcopyError(f"{origin}: not a UDiFF F&O bhavcopy: the header lacks {', '.join(absent)}")
    wanted = [*REQUIRED, *(["Src"] if "Src" in frame.columns else [])]
    frame = frame.loc[:, wanted].apply(lambda col: col.str.strip())
    frame["line"] = np.arange(2, len(frame) + 2, dtype=np.int64)
    blank = (frame[wanted] == "").all(axis=1)
    return frame.loc[~blank]


def _fail(origin: str, rows: pd.DataFrame, bad: pd.Series | np.ndarray, column: str, problem: str) -> None:
    """Raise `BhavcopyError` for the first row flagged in `bad`."""
    first = int(np.flatnonzero(np.asarray(bad))[0])
    line = int(rows["line"].iloc[first])
    value = rows[column].iloc[first]
    raise BhavcopyError(f"{origin} line {line}: {column} {value!r} {problem}")


def _dates(origin: str, rows: pd.DataFrame, column: str) -> list[date]:
    """A date column (YYYY-MM-DD, required) as `datetime.date`s."""
    parsed = pd.to_datetime(rows[column], format="%Y-%m-%d", errors="coerce")
    bad = parsed.isna().to_numpy()
    if bad.any():
        _fail(origin, rows, bad, column, "is not a date (want YYYY-MM-DD)")
    return [stamp.date() for stamp in parsed]


def _numbers(origin: str, rows: pd.DataFrame, column: str, *, required: bool = False) -> np.ndarray:
    """A numeric column as float64: an empty cell is NaN (an error when `required`), text is an error."""
    text = rows[column]
    empty = (text == "").to_numpy()
    values = pd.to_numeric(text.where(~empty, None), errors="coerce").to_numpy(dtype=np.float64)
    if required and empty.any():
        _fail(origin, rows, empty, column, "is empty")
    bad = ~empty & ~np.isfinite(values)
    if bad.any():
        _fail(origin, rows, bad, column, "is not a number")
    return values


def _typed(origin: str, rows: pd.DataFrame, days: list[date]) -> pd.DataFrame:
    """The checked rows as `ROW_COLUMNS`."""
    for column in ("TckrSymb", "FinInstrmTp"):
        empty = (rows[column] == "").to_numpy()
        if empty.any():
            _fail(origin, rows, empty, column, "is empty")
    strike = _numbers(origin, rows, "StrkPric", required=True)
    if (strike <= 0).any():
        _fail(origin, rows, strike <= 0, "StrkPric", "is not a positive strike")
    lot = _numbers(origin, rows, "NewBrdLotQty", required=True)
    bad_lot = (lot <= 0) | (lot != np.round(lot))
    if bad_lot.any():
        _fail(origin, rows, bad_lot, "NewBrdLotQty", "is not a positive whole lot size")
    out: dict[str, object] = {
        "line": rows["line"].to_numpy(np.int64),
        "day": days,
        "exchange": rows["Src"].to_numpy(object) if "Src" in rows else np.full(len(rows), "", dtype=object),
        "instrument": rows["FinInstrmTp"].to_numpy(object),
        "underlying": rows["TckrSymb"].to_numpy(object),
        "expiry": _dates(origin, rows, "XpryDt"),
        "strike": strike,
        "side": rows["OptnTp"].to_numpy(object),
    }
    for name, column in _PRICES.items():
        price = _numbers(origin, rows, column)
        if (price < 0).any():
            _fail(origin, rows, price < 0, column, "is a negative price")
        out[name] = np.where(price > 0, price, np.nan)
    for name, column in _COUNTS.items():
        count = _numbers(origin, rows, column)
        if name != "oi_change" and (count < 0).any():
            _fail(origin, rows, count < 0, column, "is negative")
        out[name] = count
    out["lot_size"] = lot.astype(np.int64)
    frame = pd.DataFrame(out, index=pd.RangeIndex(len(rows)))
    expired = np.array([e < d for e, d in zip(frame["expiry"], frame["day"], strict=True)], dtype=bool)
    if expired.any():
        _fail(origin, rows, expired, "XpryDt", "is before the row's TradDt")
    return frame.loc[:, list(ROW_COLUMNS)]
