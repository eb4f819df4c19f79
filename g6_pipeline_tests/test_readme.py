"""Every command the README prints can run as printed from a fresh clone's root: `g6` is written as it is
reachable (`.venv/bin/g6`), names a real subcommand and its flags; `make` names real targets; scripts exist."""

from __future__ import annotations

import argparse
import re
import shlex
from pathlib import Path

from g6_pipeline.cli.main import build_parser

REPO = Path(__file__).resolve().parents[1]
README = REPO / "README.md"
PLACEHOLDER = re.compile(r"[…|\[\]<>]|=…")


def readme_commands() -> list[str]:
    """The commands of the README's shell blocks and of its command table's first column."""
    text = README.read_text()
    commands = []
    for block in re.findall(r"```bash\n(.*?)```", text, flags=re.S):
        joined = block.replace("\\\n", " ")
        commands += [line.split("#", 1)[0].strip() for line in joined.splitlines() if line.split("#", 1)[0].strip()]
    for row in re.findall(r"^\| `([^`]+)`", text, flags=re.M):
        commands += [part.strip().strip("`") for part in row.split(" / ")]
    return commands


def test_no_command_calls_g6_from_a_path_a_fresh_shell_lacks() -> None:
    bare = [c for c in readme_commands() if re.match(r"^(\S+=\S+ )*g6\b", c)]
    assert not bare, f"`g6` is not on PATH in a fresh shell; write .venv/bin/g6: {bare}"


def subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    """The subcommands of a parser by name (none when it has none)."""
    actions = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(actions[0].choices) if actions else {}


def options_of(parser: argparse.ArgumentParser) -> set[str]:
    """Every option string of a parser and of its subcommands."""
    own = {o for action in parser._actions for o in action.option_strings}
    return own.union(*(options_of(sub) for sub in subparsers(parser).values()))


def test_every_g6_command_names_a_real_subcommand_and_flags() -> None:
    parser = build_parser()
    subcommands = subparsers(parser)
    for command in readme_commands():
        if not command.startswith(".venv/bin/g6 "):
            continue
        words = command.split()[1:]
        assert words[0] in subcommands, f"README: {command}: no subcommand {words[0]}"
        options = options_of(subcommands[words[0]])
        for flag in (w.split("=")[0] for w in words if w.startswith("--")):
            assert flag in options, f"README: {command}: {words[0]} has no option {flag}"
        if not PLACEHOLDER.search(command):
            parser.parse_args(shlex.split(command)[1:])  # a concrete command parses as printed


def test_every_make_target_and_script_exists() -> None:
    makefile = (REPO / "Makefile").read_text()
    targets = set(re.findall(r"^([a-z][\w-]*):", makefile, flags=re.M))
    for command in readme_commands():
        words = shlex.split(command.replace("…", "x"))
        if words and words[0] == "make":
            assert words[1] in targets, f"README: {command}: no make target {words[1]}"
        for word in words:
            if word.startswith(("benchmarks/", "scripts/")):
                assert (REPO / word).is_file(), f"README: {command}: {word} does not exist"
