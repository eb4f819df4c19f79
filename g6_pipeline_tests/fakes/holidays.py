"""NSE's holiday master JSON as its website serves it, for the calendar import tests."""

from __future__ import annotations

import json
from pathlib import Path


def nse_entry(n: int, day: str, weekday: str, description: str) -> dict[str, object]:
    """One entry as NSE's website serves it."""
    return {"Sr_no": n, "tradingDate": day, "weekDay": weekday, "description": description,
            "morning_session": "", "evening_session": ""}


FO_2027 = [
    nse_entry(1, "26-Jan-2027", "Tuesday", "Republic Day"),
    nse_entry(2, "06-Mar-2027", "Saturday", "Mahashivratri"),
    nse_entry(3, "22-Mar-2027", "Monday", "Holi"),
]
"""Three equity-derivatives holidays of 2027, one of them on a Saturday."""


def nse_file(folder: Path, fo: list[dict[str, object]], *, pretty: bool) -> Path:
    """NSE's holiday master with `fo` as its FO list: minified on one line as the website serves it, or indented
    as a browser saves it."""
    master = {"CM": [nse_entry(1, "26-Jan-2027", "Tuesday", "Republic Day (cash)")], "FO": fo, "CD": []}
    path = folder / "holiday-master.json"
    path.write_text(json.dumps(master, indent=2 if pretty else None, separators=None if pretty else (",", ":")))
    return path
