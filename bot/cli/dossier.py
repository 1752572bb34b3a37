"""`thutuc dossier …`: import dossiers, create demo dossiers, look one up as its owner (docs/dossiers.md).

Exit codes of `lookup`: 0 ok, 3 not_verified, 4 rate_limited, 2 usage error (including a malformed
code or verification); other commands: 1 when nothing was applied.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Optional

import typer
from rich.markup import escape

from ..config import Settings
from ..dossiers import (
    LANGS,
    DossierConfigError,
    DossierImportError,
    DossierService,
    InvalidDossierCode,
    InvalidVerification,
)
from ..dossiers.texts import message
from .common import fail, print_json, settings

app = typer.Typer(help="Dossier status: import, demo data and lookup by the owner.", no_args_is_help=True)

EXIT_NOT_VERIFIED = 3
EXIT_RATE_LIMITED = 4
_VERIFY_NAMES = {"id_number": "identity number", "phone": "phone number", "either": "identity number or phone"}


def _service(s: Settings) -> DossierService:
    try:
        return DossierService(s)
    except (DossierConfigError, sqlite3.Error, OSError) as e:
        fail(escape(f"dossier store {s.dossier_db}: {e}"))
        raise  # unreachable


@app.command("import")
def import_command(
    path: Path = typer.Argument(..., help="CSV or JSON file with exactly the import columns (docs/dossiers.md)."),
    strict: bool = typer.Option(False, "--strict", help="Apply nothing if any row is bad."),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
) -> None:
    """Import or update dossiers (upsert by code). Bad rows are listed and skipped; a fatal error applies nothing."""
    svc = _service(settings())
    try:
        report = svc.import_file(path, strict=strict)
    except DossierImportError as e:
        if as_json:
            print_json({"path": str(path), "applied": False, "error": str(e),
                        "bad_rows": [{"line": p.line, "column": p.column, "reason": p.reason} for p in e.problems]})
        else:
            for p in e.problems:
                typer.echo(str(p), err=True)
        fail(escape(str(e)))
        return
    if as_json:
        print_json({
            "path": report.path, "applied": True, "rows": report.rows, "inserted": report.inserted,
            "updated": report.updated, "unchanged": report.unchanged,
            "bad_rows": [{"line": p.line, "column": p.column, "reason": p.reason} for p in report.problems],
        })
        return
    typer.echo(f"Imported {report.applied} dossiers from {path}: {report.inserted} new, {report.updated} updated, "
               f"{report.unchanged} unchanged.")
    if report.problems:
        lines = len({p.line for p in report.problems})
        typer.echo(f"{lines} bad row(s) skipped:", err=True)
        for p in report.problems:
            typer.echo(f"  {p}", err=True)


@app.command("demo")
def demo_command(
    remove: bool = typer.Option(False, "--remove", help="Delete the demo dossiers instead."),
    as_json: bool = typer.Option(False, "--json", help="Print the demo codes and digits as JSON."),
) -> None:
    """Create (or refresh) clearly labelled demo dossiers with fake owners, for a local run."""
    s = settings()
    svc = _service(s)
    if remove:
        n = svc.remove_demo()
        typer.echo(f"Removed {n} demo dossiers.")
        return
    report = svc.load_demo()
    if as_json:
        print_json([{"code": c, "verify": report.verify[c], "status_code": report.status[c]} for c in report.codes])
        return
    typer.echo(f"Demo dossiers (fake owners; verification = last 4 digits of the {_VERIFY_NAMES[s.verify_with]}):")
    for c in report.codes:
        typer.echo(f"  {c}  --verify {report.verify[c]}  (status {report.status[c]})")
    first = report.codes[0]
    typer.echo(f"Try: thutuc dossier lookup {first} --verify {report.verify[first]} --lang en")


@app.command("lookup")
def lookup_command(
    code: str = typer.Argument(..., help="Dossier code, e.g. H56.14-240823-0001."),
    verify: str = typer.Option(..., "--verify", help="Last 4 digits of the owner's identity number or phone."),
    user: str = typer.Option("cli", "--user", help="Opaque id of who asks (rate limits, audit)."),
    lang: Optional[str] = typer.Option(None, "--lang", help="Answer language: vi, en, zh, ko or ja."),
    as_json: bool = typer.Option(False, "--json", help="Print the answer as JSON."),
) -> None:
    """Look up a dossier's status as its owner. Exit 0 ok, 3 not verified, 4 rate limited, 2 usage error."""
    s = settings()
    if lang is not None and lang not in LANGS:
        raise typer.BadParameter(f"must be one of {', '.join(LANGS)}", param_hint="--lang")
    lang = lang or (s.default_lang if s.default_lang in LANGS else "vi")
    svc = _service(s)
    try:
        result = svc.lookup(code, verify, user=user, lang=lang)
    except InvalidDossierCode:
        raise typer.BadParameter(message("invalid_code", lang), param_hint="CODE") from None
    except InvalidVerification:
        raise typer.BadParameter(message("invalid_verification", lang, hint=svc.verification_hint(lang)),
                                 param_hint="--verify") from None
    if as_json:
        print_json(result.to_json())
    else:
        typer.echo(result.text)
    if result.outcome == "not_verified":
        raise typer.Exit(EXIT_NOT_VERIFIED)
    if result.outcome == "rate_limited":
        raise typer.Exit(EXIT_RATE_LIMITED)
