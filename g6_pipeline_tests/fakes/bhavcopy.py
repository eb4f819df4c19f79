"""F&O bhavcopy files in the exchanges' exact UDiFF layout, built for tests.

Option premiums come from vollib's Black-76 (not from the code under test) at a known volatility on a known
forward, rounded to the exchanges' 0.05 tick. Nothing here imports G6.
"""

from __future__ import annotations

import io
import math
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from vollib.black import black

COLUMNS: tuple[str, ...] = (
    "TradDt", "BizDt", "Sgmt", "Src", "FinInstrmTp", "FinInstrmId", "ISIN", "TckrSymb", "SctySrs", "XpryDt",
    "FininstrmActlXpryDt", "StrkPric", "OptnTp", "FinInstrmNm", "OpnPric", "HghPric", "LwPric", "ClsPric",
    "LastPric", "PrvsClsgPric", "UndrlygPric", "SttlmPric", "OpnIntrst", "ChngInOpnIntrst", "TtlTradgVol",
    "TtlTrfVal", "TtlNbOfTxsExctd", "SsnId", "NewBrdLotQty", "Rmks", "Rsvd1", "Rsvd2", "Rsvd3", "Rsvd4",
)
"""The UDiFF F&O bhavcopy header, copied from the exchanges' file description (not from G6)."""
IST = ZoneInfo("Asia/Kolkata")
YEAR_SECONDS = 365.0 * 86400.0


def tick(price: float) -> float:
    """A premium rounded to the 0.05 tick."""
    return round(round(price / 0.05) * 0.05, 2)


def years_to_expiry(day: date, expiry: date) -> float:
    """ACT/365 from 15:29 IST on `day` to 15:30 IST on `expiry` (worked out here, not by G6)."""
    start = datetime.combine(day, time(15, 29), IST)
    end = datetime.combine(expiry, time(15, 30), IST)
    return (end - start).total_seconds() / YEAR_SECONDS


@dataclass(frozen=True)
class Contract:
    """One option row's terms and figures (OI, change and volume in units)."""

    expiry: date
    strike: float
    side: str
    settle: float
    oi: int = 0
    oi_change: int = 0
    volume: int = 0
    prev_close: float = 0.0
    close: float | None = None


def priced_chain(
    day: date, forward: float, expiries: Sequence[date], strikes: Sequence[float], vol: float, rate: float,
    lot: int,
) -> list[Contract]:
    """Calls and puts of every strike of every expiry priced by vollib's Black-76 at `vol` on `forward`."""
    out = []
    for e in expiries:
        t = years_to_expiry(day, e)
        for i, k in enumerate(strikes):
            for side in ("CE", "PE"):
                price = tick(black("c" if side == "CE" else "p", forward, k, t, rate, vol))
                oi = lot * (100 + 10 * i + (5 if side == "PE" else 0))
                out.append(Contract(e, k, side, price, oi=oi, oi_change=lot * (i - 1), volume=lot * 40,
                                    prev_close=tick(price * 1.1)))
    return out


def rows_of(
    day: date, underlying: str, spot: float, contracts: Iterable[Contract], lot: int, exchange: str = "NSE",
    instrument: str = "IDO",
) -> list[dict[str, str]]:
    """The UDiFF rows of `contracts` (every column present, as the exchanges fill them)."""
    rows = []
    for n, c in enumerate(contracts):
        close = c.settle if c.close is None else c.close
        rows.append({
            "TradDt": day.isoformat(), "BizDt": day.isoformat(), "Sgmt": "FO", "Src": exchange,
            "FinInstrmTp": instrument, "FinInstrmId": str(35000 + n), "ISIN": "", "TckrSymb": underlying,
            "SctySrs": "", "XpryDt": c.expiry.isoformat(), "FininstrmActlXpryDt": c.expiry.isoformat(),
            "StrkPric": f"{c.strike:.2f}", "OptnTp": c.side, "FinInstrmNm": f"{underlying}-{c.expiry}-{c.strike}",
            "OpnPric": f"{close:.2f}", "HghPric": f"{close:.2f}", "LwPric": f"{close:.2f}",
            "ClsPric": f"{close:.2f}", "LastPric": f"{close:.2f}", "PrvsClsgPric": f"{c.prev_close:.2f}",
            "UndrlygPric": f"{spot:.2f}", "SttlmPric": f"{c.settle:.2f}", "OpnIntrst": str(c.oi),
            "ChngInOpnIntrst": str(c.oi_change), "TtlTradgVol": str(c.volume),
            "TtlTrfVal": f"{c.volume * close:.2f}", "TtlNbOfTxsExctd": str(c.volume // lot), "SsnId": "F1",
            "NewBrdLotQty": str(lot), "Rmks": "", "Rsvd1": "", "Rsvd2": "", "Rsvd3": "", "Rsvd4": "",
        })
    return rows


def future_row(day: date, underlying: str, expiry: date, price: float, lot: int) -> dict[str, str]:
    """An index future's row (no strike, no option type), which readers of options skip."""
    row = rows_of(day, underlying, price, [Contract(expiry, 1.0, "CE", price)], lot, instrument="IDF")[0]
    return row | {"StrkPric": "", "OptnTp": ""}


def csv_bytes(rows: Iterable[Mapping[str, str]], columns: Sequence[str] = COLUMNS) -> bytes:
    """The CSV text of the rows under the header (CRLF line ends, as the exchanges write them)."""
    lines = [",".join(columns)]
    lines += [",".join(row.get(c, "") for c in columns) for row in rows]
    return ("\r\n".join(lines) + "\r\n").encode()


def nse_name(day: date) -> str:
    """NSE's archive name of a day's F&O bhavcopy."""
    return f"BhavCopy_NSE_FO_0_0_0_{day:%Y%m%d}_F_0000.csv.zip"


def bse_name(day: date) -> str:
    """BSE's archive name of a day's derivatives bhavcopy."""
    return f"BhavCopy_BSE_FO_0_0_0_{day:%Y%m%d}_F_0000.CSV"


def write_zip(path: Path, data: bytes) -> Path:
    """`data` as the one CSV inside a zip at `path` (the member named as the archive without `.zip`)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(path.name.removesuffix(".zip"), data)
    path.write_bytes(buffer.getvalue())
    return path


def forward_of(spot: float, rate: float, t: float) -> float:
    """Spot carried at `rate` for `t` years."""
    return spot * math.exp(rate * t)


def next_weekday(day: date, weekday: int) -> date:
    """The first `weekday` (Monday = 0) on or after `day`."""
    return day + timedelta(days=(weekday - day.weekday()) % 7)
