"""`thutuc index build`, `thutuc search`, `thutuc eval retrieval`, `thutuc chat`."""

from __future__ import annotations

import typer

index_app = typer.Typer(help="Search index.", no_args_is_help=True)
eval_app = typer.Typer(help="Evaluation.", no_args_is_help=True)


def search_command(query: str) -> None:
    """Search the catalogue."""


def chat_command() -> None:
    """Interactive search prompt."""
