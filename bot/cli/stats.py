"""`thutuc stats`: usage counts per day and language from the front end's SQLite file."""

from __future__ import annotations

from dataclasses import asdict

import typer
from rich.console import Console
from rich.table import Table

from ..analytics import METRICS, Analytics
from ..storage import connect
from .common import print_json, settings


def stats_command(
    days: int = typer.Option(7, "--days", help="How many days back, today included (1–3660)."),
    as_json: bool = typer.Option(False, "--json", help="Print the rows as JSON."),
) -> None:
    """Messages, low-confidence answers, handoffs and portal-link clicks per day and language."""
    if not 1 <= days <= 3660:
        raise typer.BadParameter("must be between 1 and 3660", param_hint="--days")
    path = settings().frontend_db
    # Reading statistics must not create the front end's database as a side effect.
    rows = Analytics(connect(path)).table(days) if path.exists() else []
    if as_json:
        print_json([asdict(r) for r in rows])
        return
    table = Table("day", "lang", *METRICS, title=f"Front-end usage, last {days} day(s) — {path}")
    totals = dict.fromkeys(METRICS, 0)
    for r in rows:
        table.add_row(r.day, r.lang, *(str(getattr(r, m)) for m in METRICS))
        for m in METRICS:
            totals[m] += getattr(r, m)
    if rows:
        table.add_section()
        table.add_row("total", "", *(str(totals[m]) for m in METRICS))
    Console().print(table)
    if not rows:
        Console(stderr=True).print("No usage recorded in this period.")
