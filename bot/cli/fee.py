"""`thutuc fee CODE …`: what a procedure costs online, in person and by post (see docs/fees.md);
`thutuc fee report`: every inconsistent fee row of the catalogue, for an operator."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import List, Optional

import typer
from typer.core import TyperGroup

from ..catalogue import Catalogue, UnknownProcedure
from ..catalogue.store import load_imported
from ..fees import (
    CHANNEL_ORDER,
    MAX_QUANTITY,
    BadQuantity,
    ChannelNotAvailable,
    FeeCalculator,
    FeeDataError,
    comparison_json,
    render_comparison,
)
from ..fees.quality import KINDS, fee_report
from .common import console, fail, print_json, settings

LANG_CHOICES = ("vi", "en", "zh", "ko", "ja")


class _QuoteByDefault(TyperGroup):
    """`thutuc fee CODE …` is `thutuc fee quote CODE …`: the contract names no sub-command, and a
    procedure code can never be the name of one, so anything that is not a sub-command goes to `quote`."""

    def parse_args(self, ctx, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h"):
            args = ["quote", *args]
        return super().parse_args(ctx, args)


app = typer.Typer(cls=_QuoteByDefault, no_args_is_help=True,
                  help="Fees of a procedure (online vs in person, dated legal rules) and the fee data report.")


def _parse_date(value: Optional[str]) -> date:
    if value is None:
        return date.today()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a date in the form YYYY-MM-DD", param_hint="--date") from None


def _load(s) -> FeeCalculator:
    try:
        calc = FeeCalculator.load(s, Catalogue.load(s), log_warnings=False)
    except FeeDataError as e:
        fail(f"fee data: {e}", 1)
    for w in calc.warnings:  # printed, not logged: stdout (maybe JSON) stays clean
        console.print(f"[yellow]Warning:[/yellow] {w}", markup=True, highlight=False)
    return calc


@app.command("quote")
def fee_command(
    code: str = typer.Argument(..., help="Procedure code, e.g. 1.004222."),
    channel: str = typer.Option("all", "--channel", help="online | offline | post | all."),
    quantity: int = typer.Option(1, "--quantity", help=f"Units of the fee (cards, copies, pages…), 1–{MAX_QUANTITY}."),
    on: Optional[str] = typer.Option(None, "--date", help="Date of submission, YYYY-MM-DD (default: today)."),
    lang: str = typer.Option("vi", "--lang", help="Answer language: vi | en | zh | ko | ja."),
    as_json: bool = typer.Option(False, "--json", help="Print the quote as JSON."),
) -> None:
    """Quote the fee of procedure CODE per channel, with legal basis and the saving of applying online
    (`thutuc fee CODE` is short for `thutuc fee quote CODE`)."""
    if channel not in CHANNEL_ORDER + ("all",):
        raise typer.BadParameter("must be online, offline, post or all", param_hint="--channel")
    if lang not in LANG_CHOICES:
        raise typer.BadParameter("must be one of " + ", ".join(LANG_CHOICES), param_hint="--lang")
    if not 1 <= quantity <= MAX_QUANTITY:
        raise typer.BadParameter(f"must be between 1 and {MAX_QUANTITY}", param_hint="--quantity")
    day = _parse_date(on)
    calc = _load(settings())
    try:
        comparison = calc.compare(code, quantity, day, lang)
        if channel != "all" and channel not in calc.channels(comparison.code):
            raise ChannelNotAvailable(comparison.code, channel, calc.channels(comparison.code))
    except UnknownProcedure as e:
        fail(str(e), 1)
    except BadQuantity as e:
        raise typer.BadParameter(str(e), param_hint="--quantity") from None
    except ChannelNotAvailable as e:
        raise typer.BadParameter(str(e), param_hint="--channel") from None
    if as_json:
        print_json(comparison_json(comparison, lang, channel))
        return
    if channel != "all":
        comparison = replace(comparison, quotes=tuple(q for q in comparison.quotes if q.channel == channel),
                             saving_online=None)
    typer.echo(render_comparison(comparison, lang))


@app.command("report")
def report_command(
    on: Optional[str] = typer.Option(None, "--date", help="Judge dated notes and rules on this day, YYYY-MM-DD "
                                                          "(default: today)."),
    kind: Optional[List[str]] = typer.Option(None, "--kind", help="Only these kinds (repeatable): "
                                                                  + ", ".join(KINDS) + "."),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
) -> None:
    """List every fee row of the catalogue whose amount cannot be trusted as published, with counts."""
    for k in kind or ():
        if k not in KINDS:
            raise typer.BadParameter(f"{k!r} is not one of " + ", ".join(KINDS), param_hint="--kind")
    day = _parse_date(on)
    s = settings()
    calc = _load(s)
    if not Path(s.catalogue_db).exists() or not load_imported(Path(s.catalogue_db)):
        console.print("[yellow]Warning:[/yellow] no national import: only the curated core is checked "
                      "(`thutuc catalogue import PATH`).", markup=True, highlight=False)
    report = fee_report(calc, day)
    if kind:
        report.issues = [i for i in report.issues if i.kind in kind]
    if as_json:
        print_json(report.to_dict())
        return
    counts = {k: n for k, n in report.counts().items() if n}
    typer.echo(f"Fee data report on {day.isoformat()}: {report.procedures} procedures, {report.rows} channel rows "
               f"({report.priced_rows} with an amount or “Miễn phí”); {report.inconsistent_rows} rows of "
               f"{report.inconsistent_procedures} procedures to check.")
    for k, n in counts.items():
        typer.echo(f"  {k:<24} {n}")
    if report.issues:
        typer.echo("")
    for i in report.issues:
        typer.echo(f"{i.code}\t{i.channel}\t{i.kind}\t{i.detail}")
