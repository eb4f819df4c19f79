"""The option chain as terminal text that fits the terminal: `g6 chain`'s table, plain or coloured.

Calls on the left, the strike in the middle, puts mirrored on the right. Every cell is written whole: when
the terminal is too narrow for every column, whole columns are left out (on both sides) in this order —
bid and ask first, then delta, then volume — and the gap between columns narrows from two spaces to one.
OI, change in OI, IV, LTP and the strike (`ESSENTIAL`) are always shown; if even they do not fit, the lines
are written longer than the terminal (it wraps them, nothing is cut) and a note says how wide it must be.
`--columns` picks the columns instead.

Numbers follow the configured `NumberFormat` (digit grouping; OI and volume in contracts or units), and the
header states the unit. `▶` marks the ATM strike, `*` the max-pain strike; on a terminal the in-the-money
side is shaded and the change in OI is green or red by its sign.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from rich.console import Group
from rich.text import Text

from g6_pipeline.live.numbers import DASH, NumberFormat

Kind = Literal["quantity", "change", "iv", "greek", "price"]


@dataclass(frozen=True)
class Column:
    """One per-side column: its `--columns` key, heading, chain-view field and kind of number."""

    key: str
    heading: str
    field: str
    kind: Kind


COLUMNS: tuple[Column, ...] = (
    Column("oi", "OI", "oi", "quantity"), Column("chng_oi", "Chng OI", "oi_change", "change"),
    Column("volume", "Volume", "volume", "quantity"), Column("iv", "IV", "iv", "iv"),
    Column("delta", "Delta", "delta", "greek"), Column("ltp", "LTP", "ltp", "price"),
    Column("bid", "Bid", "bid", "price"), Column("ask", "Ask", "ask", "price"),
)  # fmt: skip
"""The call side's columns, outside in (NSE's order); the put side mirrors them."""
COLUMN_KEYS: tuple[str, ...] = tuple(c.key for c in COLUMNS)
ESSENTIAL: tuple[str, ...] = ("oi", "chng_oi", "iv", "ltp")
"""Always shown when the columns are chosen to fit (with the strike)."""
DROP_ORDER: tuple[tuple[str, ...], ...] = (("bid", "ask"), ("delta",), ("volume",))
"""What a narrow terminal leaves out, first to last."""
GAPS = (2, 1)
"""Spaces between columns, widest first."""
ATM_MARK, MAX_PAIN_MARK = "▶", "*"


def parse_columns(text: str) -> tuple[str, ...]:
    """`--columns`: comma-separated keys of `COLUMN_KEYS` (or `all`), in the table's order; ValueError naming
    an unknown key."""
    wanted = [part.strip().lower() for part in text.split(",") if part.strip()]
    if wanted == ["all"]:
        return COLUMN_KEYS
    unknown = [w for w in wanted if w not in COLUMN_KEYS]
    if unknown or not wanted:
        raise ValueError(f"unknown column {unknown[0] if unknown else text!r} (choose from {', '.join(COLUMN_KEYS)} or all)")
    return tuple(k for k in COLUMN_KEYS if k in wanted)


def candidate_columns() -> list[tuple[str, ...]]:
    """Every column, then with each group of `DROP_ORDER` left out in turn, down to `ESSENTIAL`."""
    keys = list(COLUMN_KEYS)
    out = [tuple(keys)]
    for group in DROP_ORDER:
        keys = [k for k in keys if k not in group]
        out.append(tuple(keys))
    return out


def _cell(value: Any, kind: Kind, fmt: NumberFormat, lot: Any) -> str:
    if kind == "quantity":
        return fmt.number(fmt.quantity(value, lot), 0)
    if kind == "change":
        return fmt.number(fmt.quantity(value, lot), 0, signed=True)
    if kind == "iv":
        return DASH if value is None else fmt.number(100 * value, 2)
    return fmt.number(value, 2)


@dataclass(frozen=True)
class Cell:
    """One table cell: its text and Rich style ('' for none)."""

    text: str
    style: str = ""


def _change_style(x: Any) -> str:
    return "" if x is None or x == 0 else ("green" if x > 0 else "red")


def _strike_text(strike: Any, row: dict[str, Any], fmt: NumberFormat) -> str:
    return (ATM_MARK if row["atm"] else "") + fmt.strike(strike) + (MAX_PAIN_MARK if row["max_pain"] else "")


def _side(leg: dict[str, Any], order: Sequence[Column], fmt: NumberFormat, lot: Any) -> list[Cell]:
    shade = "on grey23" if leg["itm"] else ""
    return [Cell(_cell(leg[c.field], c.kind, fmt, lot),
                 " ".join(filter(None, [_change_style(leg[c.field]) if c.kind == "change" else "", shade])))
            for c in order]  # fmt: skip


def _body(view: dict[str, Any], fmt: NumberFormat, keys: Sequence[str]) -> list[list[Cell]]:
    """Header, one row per strike and the totals, every cell in table order (calls, strike, puts)."""
    calls = [c for c in COLUMNS if c.key in keys]
    puts = list(reversed(calls))
    lot = view.get("lot_size")
    rows = [[Cell(c.heading) for c in calls] + [Cell("STRIKE")] + [Cell(c.heading) for c in puts]]
    for row in view["rows"]:
        strike = Cell(_strike_text(row["strike"], row, fmt), "bold yellow" if row["atm"] else "bold")
        rows.append([*_side(row["ce"], calls, fmt, lot), strike, *_side(row["pe"], puts, fmt, lot)])
    totals = view["totals"]

    def total(name: str, order: Sequence[Column]) -> list[Cell]:
        return [Cell(_cell(totals[name][c.field], c.kind, fmt, lot) if c.field in totals[name] else "") for c in order]

    rows.append([*total("ce", calls), Cell("TOTAL"), *total("pe", puts)])
    return rows


@dataclass(frozen=True)
class Layout:
    """The columns chosen, the gap between them, each column's width and whether it all fits."""

    keys: tuple[str, ...]
    gap: int
    widths: tuple[int, ...]
    fits: bool

    @property
    def width(self) -> int:
        """Characters per table line."""
        return sum(self.widths) + self.gap * (len(self.widths) - 1)


def _measure(body: list[list[Cell]], keys: tuple[str, ...], gap: int, width: int | None) -> Layout:
    widths = tuple(max(len(line[i].text) for line in body) for i in range(len(body[0])))
    layout = Layout(keys, gap, widths, True)
    return Layout(keys, gap, widths, width is None or layout.width <= width)


def choose_layout(view: dict[str, Any], fmt: NumberFormat, width: int | None,
                  keys: tuple[str, ...] | None = None) -> Layout:  # fmt: skip
    """The widest layout that fits `width` (None: no limit): the given `keys`, else the fewest columns left
    out in `DROP_ORDER`; a wider gap before more columns are left out. Nothing fits: the narrowest, marked."""
    sets = [keys] if keys else candidate_columns()
    last: Layout | None = None
    for chosen in sets:
        body = _body(view, fmt, chosen)
        for gap in GAPS:
            last = _measure(body, chosen, gap, width)
            if last.fits:
                return last
    assert last is not None
    return last


def _title_parts(view: dict[str, Any], fmt: NumberFormat) -> list[str]:
    pct = fmt.percent(view["atm_iv"], 2)
    simulated = ["SIMULATED market data"] if view.get("simulated") else []
    return [
        *simulated, f"{view['index']} {view['expiry_tag']} {view['expiry']}", f"{view['day']} {view['minute']} IST",
        f"spot {fmt.number(view['spot'])} fwd {fmt.number(view['forward'])} ATM {fmt.number(view['atm'], 0)}",
        f"max pain {fmt.number(view['max_pain'], 0)}",
        f"PCR {fmt.number(view['pcr_oi'])} (vol {fmt.number(view['pcr_volume'])})",
        f"straddle {fmt.number(view['straddle'])}", f"ATM IV {pct}",
        f"IVR/IVP {fmt.iv_rank(view.get('iv_rank'), view.get('iv_percentile'), view.get('iv_history_source'), view.get('iv_history'))}",
        f"GEX ₹{fmt.crore(view.get('gex'))} cr/1%",
    ]  # fmt: skip


def _wrap(parts: Sequence[str], width: int | None, joiner: str) -> list[str]:
    """`parts` joined by `joiner` into lines of at most `width` characters (a longer part has its own line)."""
    lines: list[str] = []
    for part in parts:
        if lines and (width is None or len(lines[-1]) + len(joiner) + len(part) <= width):
            lines[-1] += joiner + part
        else:
            lines.append(part)
    return lines


def _legend(view: dict[str, Any], fmt: NumberFormat, coloured: bool) -> list[str]:
    words = [fmt.unit_words(view.get("lot_size")), "IV in %", f"{ATM_MARK} ATM", f"{MAX_PAIN_MARK} max pain"]
    if view.get("oi_interval", "close") != "close":  # the change is not the usual one: say which it is
        words.insert(1, f"Chng OI {view['oi_change_basis']}")
    return [*words, "shaded: in the money"] if coloured else words


def chain_lines(view: dict[str, Any], fmt: NumberFormat, width: int | None, keys: tuple[str, ...] | None = None,
                coloured: bool = False) -> list[Text]:  # fmt: skip
    """The chain as lines of Rich `Text` (styled when `coloured`): title, legend, the table, and a note when
    it is wider than `width`."""
    layout = choose_layout(view, fmt, width, keys)
    body = _body(view, fmt, layout.keys)
    limit = max(width or layout.width, 20)
    out = [Text(line, style="bold" if coloured else "") for line in _wrap(_title_parts(view, fmt), limit, " | ")]
    if view.get("simulated") and coloured:
        out[0].highlight_words(["SIMULATED market data"], style="bold black on magenta")
    out += [Text(line, style="dim" if coloured else "") for line in _wrap(_legend(view, fmt, coloured), limit, " · ")]
    side = len(layout.keys)
    calls_width = sum(layout.widths[:side]) + layout.gap * side
    out.append(Text("CALLS".ljust(calls_width) + "PUTS".rjust(layout.width - calls_width), style="bold" if coloured else ""))
    for n, line in enumerate(body):
        text = Text()
        row_style = "bold" if n in (0, len(body) - 1) or (0 < n < len(body) - 1 and view["rows"][n - 1]["atm"]) else ""
        for i, (cell, w) in enumerate(zip(line, layout.widths, strict=True)):
            if i:
                text.append(" " * layout.gap)
            padded = cell.text.center(w) if i == side else cell.text.rjust(w)
            text.append(padded, style=" ".join(filter(None, [row_style, cell.style])) if coloured else "")
        out.append(text)
    if not layout.fits and width is not None:
        out.append(Text(f"(the table needs {layout.width} columns; the terminal has {width})",
                        style="dim" if coloured else ""))
    return out


def plain_text(view: dict[str, Any], fmt: NumberFormat, width: int | None, keys: tuple[str, ...] | None = None) -> str:
    """The chain as plain text lines (no colour)."""
    return "\n".join(line.plain.rstrip() for line in chain_lines(view, fmt, width, keys))


def rich_chain(view: dict[str, Any], fmt: NumberFormat, width: int | None, keys: tuple[str, ...] | None = None) -> Group:
    """The chain for a terminal: the same lines, coloured."""
    return Group(*chain_lines(view, fmt, width, keys, coloured=True))
