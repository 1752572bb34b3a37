"""`thutuc fee …` (see the README)."""

from __future__ import annotations

import typer

app = typer.Typer(help="fee commands.", no_args_is_help=True)
