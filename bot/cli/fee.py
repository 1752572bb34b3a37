"""`thutuc fee CODE …`: what a procedure costs online, in person and by post (see docs/fees.md)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Optional

import typer

from ..catalogue import Catalogue, UnknownProcedure
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
from .common import fail, print_json, settings

# One command on the `fee` group, invoked as `thutuc fee CODE [OPTIONS]`: a group normally stops parsing
# options at its first argument (a sub-command name), so options after CODE are allowed explicitly.
app = typer.Typer(help="Fees of a procedure: online vs in person, with dated legal rules.",
                  subcommand_metavar="", context_settings={"allow_interspersed_args": True})

LANG_CHOICES = ("vi", "en", "zh", "ko", "ja")


def _parse_date(value: Optional[str]) -> date:
    if value is None:
        return date.today()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a date in the form YYYY-MM-DD", param_hint="--date") from None


@app.callback(invoke_without_command=True)
def fee_command(
    code: str = typer.Argument(..., help="Procedure code, e.g. 1.004222."),
    channel: str = typer.Option("all", "--channel", help="online | offline | post | all."),
    quantity: int = typer.Option(1, "--quantity", help=f"Units of the fee (cards, copies, pages…), 1–{MAX_QUANTITY}."),
    on: Optional[str] = typer.Option(None, "--date", help="Date of submission, YYYY-MM-DD (default: today)."),
    lang: str = typer.Option("vi", "--lang", help="Answer language: vi | en | zh | ko | ja."),
    as_json: bool = typer.Option(False, "--json", help="Print the quote as JSON."),
) -> None:
    """Quote the fee of procedure CODE per channel, with legal basis and the saving of applying online."""
    if channel not in CHANNEL_ORDER + ("all",):
        raise typer.BadParameter("must be online, offline, post or all", param_hint="--channel")
    if lang not in LANG_CHOICES:
        raise typer.BadParameter("must be one of " + ", ".join(LANG_CHOICES), param_hint="--lang")
    if not 1 <= quantity <= MAX_QUANTITY:
        raise typer.BadParameter(f"must be between 1 and {MAX_QUANTITY}", param_hint="--quantity")
    day = _parse_date(on)
    s = settings()
    try:
        calc = FeeCalculator.load(s, Catalogue.load(s))
        comparison = calc.compare(code, quantity, day, lang)
        if channel != "all" and channel not in calc.channels(comparison.code):
            raise ChannelNotAvailable(comparison.code, channel, calc.channels(comparison.code))
    except UnknownProcedure as e:
        fail(str(e), 1)
    except BadQuantity as e:
        raise typer.BadParameter(str(e), param_hint="--quantity") from None
    except ChannelNotAvailable as e:
        raise typer.BadParameter(str(e), param_hint="--channel") from None
    except FeeDataError as e:
        fail(f"fee data: {e}", 1)
    if as_json:
        print_json(comparison_json(comparison, lang, channel))
        return
    if channel != "all":
        comparison = replace(comparison, quotes=tuple(q for q in comparison.quotes if q.channel == channel),
                             saving_online=None)
    typer.echo(render_comparison(comparison, lang))
