"""The README documents every command and every setting (sqlite-utils' docs-test habit)."""

from __future__ import annotations

import pytest
import typer.main

from bot.cli import app
from bot.config import PROJECT_ROOT, SETTING_NAMES

README = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
DOCS = README + "".join(p.read_text(encoding="utf-8") for p in (PROJECT_ROOT / "docs").glob("*.md"))


def _commands(group, prefix: str = "thutuc"):
    for name, cmd in group.commands.items():
        path = f"{prefix} {name}"
        # Typer 0.28 vendors click: its groups are not click.Group, so look for sub-commands instead
        if getattr(cmd, "commands", None):
            yield from _commands(cmd, path)
        else:
            yield path, cmd


COMMANDS = list(_commands(typer.main.get_command(app)))


@pytest.mark.parametrize("path,cmd", COMMANDS, ids=[p for p, _ in COMMANDS])
def test_command_documented_with_help(path, cmd):
    assert (cmd.help or "").strip(), f"{path} has no help text"
    assert f"`{path}" in DOCS, f"{path} is not in the README or docs/"


@pytest.mark.parametrize("name", SETTING_NAMES)
def test_setting_in_readme_table(name):
    assert f"| `{name}` |" in README


def test_readme_has_the_two_commands():
    assert "make run" in README and "make test" in README
