"""Helpers shared by the CLI modules."""

from __future__ import annotations

import json
import sys

import typer
from rich.console import Console

from ..config import Settings

console = Console(stderr=True)


def settings() -> Settings:
    try:
        return Settings.from_env()
    except ValueError as e:
        fail(str(e))
        raise  # unreachable


def fail(message: str, code: int = 1) -> None:
    console.print(f"[red]Error:[/red] {message}", markup=True, highlight=False)
    raise typer.Exit(code)


def print_json(obj) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, indent=2) + "\n")
