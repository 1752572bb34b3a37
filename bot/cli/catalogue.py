"""`thutuc catalogue …`: import the national crawl, list what needs an operator, validate curated files."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import List, Optional

import typer
from rich.table import Table

from ..catalogue import (
    CatalogueFileError,
    CrawlFormatError,
    Finding,
    import_crawl,
    list_fact_changes,
    list_findings,
    validate_dir,
)
from ..catalogue.catalogue import Catalogue
from ..catalogue.crawl import load_popularity, procedure_from_record, read_records
from ..catalogue.curated import Problem, iter_files, load_dir, refresh_file, scaffold
from ..catalogue.names import validate_names
from ..catalogue.store import load_imported
from .common import console, fail, print_json, settings

app = typer.Typer(help="The procedure catalogue: curated core and national import.", no_args_is_help=True)


@app.command("import")
def import_command(
    path: Path = typer.Argument(..., help="National-portal crawl: JSONL or .jsonl.gz."),
    popularity: Optional[List[Path]] = typer.Option(
        None, "--popularity", help="Portal popularity list (JSON); default: popular_*.json beside PATH."),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
    update_curated: bool = typer.Option(
        False, "--update-curated", help="Also write the refreshed facts into the curated files (text kept)."),
) -> None:
    """Import the national catalogue crawl into the local store (all or nothing, idempotent)."""
    s = settings()
    try:
        curated = load_dir(s.procedures_dir)
        report = import_crawl(path, s.catalogue_db, curated, popularity)
    except (CrawlFormatError, CatalogueFileError) as e:
        fail(f"{e}. The catalogue store was left as it was.")
    if update_curated:
        imported = load_imported(s.catalogue_db)
        today = date.today().isoformat()
        written = [code for code in curated if code in imported
                   and refresh_file(Path(s.procedures_dir) / f"{code}.yml", imported[code], today)]
        console.print(f"Refreshed facts in {len(written)} curated file(s).")
    kinds: dict[str, int] = {}
    for f in report.findings:
        kinds[f.kind] = kinds.get(f.kind, 0) + 1
    if as_json:
        print_json({
            "path": report.path, "records": report.records, "imported": report.imported,
            "skipped_code_mismatch": report.skipped_mismatch, "duplicates": report.duplicates,
            "findings": kinds, "curated_fact_changes": len(report.changes), "unchanged": report.unchanged,
        })
        return
    console.print(
        f"Imported {report.imported} procedures from {report.records} records "
        f"({report.skipped_mismatch} skipped: code mismatch; {report.duplicates} duplicate codes)."
        + (" Same file as the previous import." if report.unchanged else "")
    )
    if kinds:
        console.print("For an operator: " + ", ".join(f"{n} {k}" for k, n in sorted(kinds.items()))
                      + " — see `thutuc catalogue issues`.")
    if report.changes:
        table = Table("code", "fact", "curated file", "import", title="Facts refreshed over curated files")
        for c in report.changes:
            table.add_row(c.code, c.fact, c.curated[:60], c.imported[:60])
        console.print(table)


@app.command("issues")
def issues_command(
    kind: Optional[str] = typer.Option(
        None, help="Only this kind (amount_mismatch, stale_note, code_mismatch, fact_change, stale_translation)."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """List imported records an operator should check, facts that differ from curated files, and
    translated names whose official Vietnamese name has changed since (not used until updated)."""
    s = settings()
    findings = [f for f in list_findings(s.catalogue_db) if kind is None or f.kind == kind]
    changes = list_fact_changes(s.catalogue_db) if kind in (None, "fact_change") else []
    if kind in (None, "stale_translation"):
        try:
            stale = Catalogue.load(s).stale_names
        except CatalogueFileError as e:
            fail(str(e))
        findings += [Finding(t.code, "stale_translation",
                             f"{Path(t.path).name} translates {t.vi!r}; the official name is now {now!r}")
                     for t, now in stale]
    if as_json:
        print_json([{"code": f.code, "kind": f.kind, "detail": f.detail} for f in findings]
                   + [{"code": c.code, "kind": "fact_change", "detail": f"{c.fact}: {c.curated} -> {c.imported}"}
                      for c in changes])
        return
    if not findings and not changes:
        console.print("Nothing to check (or nothing imported yet: `thutuc catalogue import PATH`).")
        return
    table = Table("code", "kind", "detail")
    for f in findings:
        table.add_row(f.code, f.kind, f.detail)
    for c in changes:
        table.add_row(c.code, "fact_change", f"{c.fact}: {c.curated[:50]} -> {c.imported[:50]}")
    typer.echo("")
    console.print(table)


@app.command("validate")
def validate_command(
    directory: Optional[Path] = typer.Argument(None, help="Folder of curated files (default: data/procedures)."),
) -> None:
    """Check the curated files (schema, all five languages, unique codes, well-formed links), the
    name files of imported procedures (schema, unique codes, none of them curated) and the topics the
    catalogue lacks (data/gaps.yml)."""
    from ..catalogue.gaps import GapFileError, Gaps, gaps_file

    s = settings()
    directory = directory or s.procedures_dir
    files = iter_files(directory)
    name_files = iter_files(s.names_dir)
    problems = validate_dir(directory) + validate_names(s.names_dir, {f.stem for f in files})
    try:
        Gaps.load(gaps_file(s.home))
    except GapFileError as e:
        problems.append(Problem("data/gaps.yml", str(e)))
    for p in problems:
        typer.echo(str(p))
    if problems:
        fail(f"{len(problems)} problem(s) in {len(files)} curated files and {len(name_files)} name files.")
    console.print(f"{len(files)} curated files and {len(name_files)} name files are valid.")


@app.command("scaffold")
def scaffold_command(
    codes: List[str] = typer.Argument(..., help="Procedure codes to add to the curated core."),
    source: Path = typer.Option(..., "--from", help="National-portal crawl to read the facts from."),
    force: bool = typer.Option(False, help="Overwrite an existing curated file."),
) -> None:
    """Start curated files for CODES with their facts filled in and the text sections marked TODO."""
    s = settings()
    wanted = set(codes)
    popularity = load_popularity(sorted(Path(source).parent.glob("popular_*.json")))
    found: set[str] = set()
    try:
        for _, rec in read_records(source):
            code = str(rec.get("ma_thu_tuc", "")).strip()
            if code not in wanted or code in found:
                continue
            found.add(code)
            target = Path(s.procedures_dir) / f"{code}.yml"
            if target.exists() and not force:
                console.print(f"{target} exists; kept (use --force to overwrite).")
                continue
            p = procedure_from_record(rec, popularity.get(code, 0.0))
            target.write_text(scaffold(p, date.today().isoformat(), date.today().isoformat()[:7]), encoding="utf-8")
            console.print(f"wrote {target}")
    except CrawlFormatError as e:
        fail(str(e))
    missing = wanted - found
    if missing:
        fail("not in the crawl: " + ", ".join(sorted(missing)))
