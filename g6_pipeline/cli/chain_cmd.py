"""`g6 chain`: one expiry's option chain at one stored minute, NSE-style, in the terminal.

Calls on the left, strike in the middle, puts mirrored on the right. On a terminal it is a Rich table (the
in-the-money side shaded, the ATM row marked, OI change green/red by sign); otherwise plain aligned text
with the ATM and max-pain strikes named in the last column. `--watch` re-reads the latest minute.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from typing import Any

from rich.console import Console, Group
from rich.live import Live
from rich.table import Table
from rich.text import Text

from g6_pipeline.live.chain_view import ChainViewError, chain_view, load_day, parse_day, parse_minute, select
from g6_pipeline.settings import load_settings
from g6_pipeline.storage.location import DataLocation

DASH = "-"
Format = Callable[[Any], str]


def _num(digits: int) -> Format:
    def fmt(x: Any) -> str:
        return DASH if x is None else f"{x:,.{digits}f}"

    return fmt


def _signed(x: Any) -> str:
    return DASH if x is None else f"{x:+,.0f}"


def _iv(x: Any) -> str:
    return DASH if x is None else f"{100 * x:.2f}"


SIDE_COLUMNS: tuple[tuple[str, str, Format], ...] = (
    ("OI", "oi", _num(0)), ("Chng OI", "oi_change", _signed), ("Volume", "volume", _num(0)),
    ("IV", "iv", _iv), ("Delta", "delta", _num(2)), ("LTP", "ltp", _num(2)), ("Bid", "bid", _num(2)),
    ("Ask", "ask", _num(2)),
)  # fmt: skip
"""(heading, view field, formatter) of the call side, outside in; the put side mirrors it."""


def _positive_int(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text}")
    return value


def register(commands: Any) -> None:
    """Add `g6 chain` to the parser."""
    parser = commands.add_parser(
        "chain",
        help="show an index's option chain at a stored minute",
        description="The option chain of one expiry from the stored data (the latest stored minute by default).",
    )
    parser.add_argument("index", help="NIFTY, BANKNIFTY, FINNIFTY or SENSEX")
    parser.add_argument("--expiry", metavar="TAG", help="this_week, next_week, this_month or next_month "
                        "(default: the nearest stored)")  # fmt: skip
    parser.add_argument("--at", metavar="HH:MM", help="a stored minute (default: the latest)")
    parser.add_argument("--day", metavar="YYYY-MM-DD", help="a stored day (default: the latest)")
    parser.add_argument("--strikes", type=_positive_int, metavar="N", help="N strikes each side of ATM (default all)")
    parser.add_argument("--watch", action="store_true", help="keep showing the latest minute as it is stored")
    parser.add_argument("--refresh", type=float, default=5.0, metavar="SECONDS",
                        help="seconds between re-reads with --watch (default 5)")  # fmt: skip
    parser.set_defaults(handler=run)


def _title(view: dict[str, Any]) -> str:
    pct = _iv(view["atm_iv"])
    return (
        f"{view['index']} {view['expiry_tag']} {view['expiry']} | {view['day']} {view['minute']} IST | "
        f"spot {_num(2)(view['spot'])} fwd {_num(2)(view['forward'])} ATM {_num(0)(view['atm'])} | "
        f"max pain {_num(0)(view['max_pain'])} | PCR {_num(2)(view['pcr_oi'])} (vol {_num(2)(view['pcr_volume'])}) | "
        f"straddle {_num(2)(view['straddle'])} | ATM IV {pct}{'' if pct == DASH else '%'}"
    )


def _cells(row: dict[str, Any]) -> tuple[list[str], str, list[str]]:
    ce = [fmt(row["ce"][field]) for _, field, fmt in SIDE_COLUMNS]
    pe = [fmt(row["pe"][field]) for _, field, fmt in reversed(SIDE_COLUMNS)]
    return ce, _num(0)(row["strike"]), pe


def _totals(view: dict[str, Any]) -> tuple[list[str], list[str]]:
    def side(name: str, order: tuple[tuple[str, str, Format], ...]) -> list[str]:
        totals = view["totals"][name]
        return [fmt(totals[field]) if field in totals else "" for _, field, fmt in order]

    return side("ce", SIDE_COLUMNS), side("pe", tuple(reversed(SIDE_COLUMNS)))


def _notes(row: dict[str, Any]) -> str:
    return " ".join(word for word, flag in (("ATM", row["atm"]), ("max-pain", row["max_pain"])) if flag)


def plain_text(view: dict[str, Any]) -> str:
    """The chain as aligned plain text (right-aligned numbers; ATM and max-pain named in the last column)."""
    heads = [h for h, _, _ in SIDE_COLUMNS]
    header = [*heads, "STRIKE", *reversed(heads), ""]
    lines = [header]
    for row in view["rows"]:
        ce, strike, pe = _cells(row)
        lines.append([*ce, strike, *pe, _notes(row)])
    ce_total, pe_total = _totals(view)
    lines.append([*ce_total, "TOTAL", *pe_total, ""])
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    text = [_title(view), "CALLS".ljust(sum(widths[: len(heads)]) + 2 * len(heads)) + "PUTS"]
    for line in lines:
        text.append("  ".join(cell.rjust(w) if i < len(header) - 1 else cell for i, (cell, w) in
                              enumerate(zip(line, widths, strict=True))).rstrip())  # fmt: skip
    return "\n".join(text)


def _change_style(x: Any) -> str:
    return "" if x is None or x == 0 else ("green" if x > 0 else "red")


def rich_table(view: dict[str, Any]) -> Group:
    """The chain as a Rich table: ITM cells shaded, the ATM row bold and marked, OI change coloured by sign."""
    table = Table(title=_title(view), header_style="bold", show_footer=True, pad_edge=False)
    ce_total, pe_total = _totals(view)
    for (heading, _, _), total in zip(SIDE_COLUMNS, ce_total, strict=True):
        table.add_column(heading, justify="right", footer=total)
    table.add_column("STRIKE", justify="center", style="bold", footer="TOTAL")
    for (heading, _, _), total in zip(reversed(SIDE_COLUMNS), pe_total, strict=True):
        table.add_column(heading, justify="right", footer=total)
    itm = "on grey23"
    for row in view["rows"]:
        ce, strike, pe = _cells(row)
        ce_cells = [Text(c, style=_change_style(row["ce"]["oi_change"]) if f == "oi_change" else "")
                    for c, (_, f, _) in zip(ce, SIDE_COLUMNS, strict=True)]  # fmt: skip
        pe_cells = [Text(c, style=_change_style(row["pe"]["oi_change"]) if f == "oi_change" else "")
                    for c, (_, f, _) in zip(pe, reversed(SIDE_COLUMNS), strict=True)]  # fmt: skip
        for cells, side in ((ce_cells, "ce"), (pe_cells, "pe")):
            if row[side]["itm"]:
                for cell in cells:
                    cell.stylize(itm)
        marks = ("▶ " if row["atm"] else "") + strike + (" MP" if row["max_pain"] else "")
        table.add_row(*ce_cells, Text(marks, style="bold yellow" if row["atm"] else ""), *pe_cells,
                      style="bold" if row["atm"] else None)  # fmt: skip
    legend = Text("shaded: in the money   ▶ ATM   MP max pain   IV in %", style="dim")
    return Group(table, legend)


def _view(args: argparse.Namespace, location: DataLocation) -> dict[str, Any]:
    stored = load_day(args.index, parse_day(args.day), location)
    return chain_view(select(stored, args.expiry, parse_minute(args.at)), args.strikes)


def _watch(args: argparse.Namespace, location: DataLocation, rich: bool) -> int:
    if rich:
        console = Console()
        with Live(rich_table(_view(args, location)), console=console, auto_refresh=False) as live:
            while True:
                time.sleep(args.refresh)
                live.update(rich_table(_view(args, location)), refresh=True)
    shown = None
    while True:
        view = _view(args, location)
        if view["timestamp"] != shown:
            print(plain_text(view) + "\n", flush=True)
            shown = view["timestamp"]
        time.sleep(args.refresh)


def run(args: argparse.Namespace) -> int:
    """Show the chain once (or with --watch until SIGINT or SIGTERM stops it, exit 130 or 143: `cli.main`); 2 with a
    one-line error when it cannot."""
    settings = load_settings().settings
    args.index = args.index.upper()
    if args.index not in settings.indices:
        print(f"g6 chain: unknown index {args.index!r} (known: {', '.join(settings.indices)})", file=sys.stderr)
        return 2
    if args.watch and args.at:
        print("g6 chain: --watch follows the latest minute; leave out --at", file=sys.stderr)
        return 2
    rich = sys.stdout.isatty()
    location = DataLocation(settings.data_dir)
    try:
        if args.watch:
            return _watch(args, location, rich)
        view = _view(args, location)
    except ChainViewError as exc:
        print(f"g6 chain: {exc}", file=sys.stderr)
        return 2
    if rich:
        Console().print(rich_table(view))
    else:
        print(plain_text(view))
    return 0
