"""README.md's generated parts: the settings table and the command reference (`make docs` writes them,
`make lint` fails when they are stale). Each is read from the code it documents, so neither can drift."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from dataclasses import fields

from portal.cli import parser
from portal.settings import Settings


def settings_table() -> str:
    """A Markdown table of every setting the environment can set: variable, meaning, default."""
    rows = ["| Variable | Meaning | Default |", "|---|---|---|"]
    for f in fields(Settings):
        env = f.metadata["env"]
        if env is not None:
            rows.append(f"| `{env.name}` | {_cell(f.metadata['doc'])} | {_cell(_value(f.default))} |")
    return "\n".join(rows) + "\n"


def cli_reference() -> str:
    """A Markdown list of every `portal` command: its usage, what it does, and its arguments."""
    lines = []
    for words, command_help, command in _commands(parser(), ["portal"]):
        arguments = [a for a in command._actions if not isinstance(a, argparse._HelpAction)]
        usage = " ".join([*words, *(_usage(a) for a in _in_usage_order(arguments))])
        lines.append(f"- `{usage}`: {command_help}")
        for action in arguments:
            notes = [action.help] if action.help else []
            if action.default not in (None, argparse.SUPPRESS) and action.nargs != 0:
                notes.append(f"default {_value(action.default)}")
            elif isinstance(action, argparse.BooleanOptionalAction):
                notes.append(f"default {_value(action.option_strings[0 if action.default else 1])}")
            if notes:
                lines.append(f"  - `{_spelling(action)}`: {'; '.join(notes)}")
    return "\n".join(lines) + "\n"


def _commands(
    command: argparse.ArgumentParser, words: list[str], command_help: str = ""
) -> Iterator[tuple[list[str], str, argparse.ArgumentParser]]:
    """Every leaf command under `command`, depth first, in the order the parser declares them."""
    groups = [a for a in command._actions if isinstance(a, argparse._SubParsersAction)]
    if not groups:
        yield words, command_help, command
        return
    helps = {choice.dest: choice.help or "" for choice in groups[0]._choices_actions}
    for name, child in groups[0].choices.items():
        yield from _commands(child, [*words, name], helps.get(name, ""))


def _in_usage_order(actions: list[argparse.Action]) -> list[argparse.Action]:
    """Positional arguments first, as the README's examples write them."""
    return sorted(actions, key=lambda a: bool(a.option_strings))


def _usage(action: argparse.Action) -> str:
    """How an argument appears in a usage line: optional ones in brackets."""
    spelling = _spelling(action)
    if action.option_strings:
        return spelling if action.required else f"[{spelling}]"
    if action.nargs == "?":
        return f"[{spelling}]"
    if action.nargs in ("*", "+"):
        return f"{spelling} …" if action.nargs == "+" else f"[{spelling} …]"
    return spelling


def _spelling(action: argparse.Action) -> str:
    """An argument as typed: `NAME`, `--port PORT`, or `--access-log | --no-access-log`."""
    metavar = action.metavar if isinstance(action.metavar, str) else action.dest.upper()
    if not action.option_strings:
        return metavar
    if action.nargs == 0:
        return " | ".join(action.option_strings)
    return f"{action.option_strings[-1]} {metavar}"


def _value(default: object) -> str:
    """A default as the README shows it."""
    return "unset" if default is None else f"`{default}`"


def _cell(text: str) -> str:
    """Text made safe for a Markdown table cell."""
    return text.replace("|", "\\|")
