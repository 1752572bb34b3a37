"""`thutuc index build`, `thutuc search`, `thutuc eval retrieval`, `thutuc chat`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from ..catalogue import Catalogue, CatalogueFileError
from ..i18n import SUPPORTED
from ..search import EmbedderUnavailable, IndexMissing, IndexStale, SearchService, build_index, make_embedder
from ..search.accents import load_search_restorer
from ..search.evaluate import EvalFileError, evaluate, read_eval_file
from ..search.glossary import GlossaryError, load_glossary
from ..search.index import check_fresh
from .common import console, fail, print_json, settings

index_app = typer.Typer(help="The search index (FAISS + BM25) under models/search.", no_args_is_help=True)
eval_app = typer.Typer(help="Evaluation of components on their own sets.", no_args_is_help=True)


def _lang(value: Optional[str]) -> Optional[str]:
    if value is not None and value not in SUPPORTED:
        raise typer.BadParameter(f"must be one of {', '.join(SUPPORTED)}")
    return value


def _service() -> SearchService:
    s = settings()
    try:
        return SearchService(s)
    except (IndexMissing, IndexStale, EmbedderUnavailable, CatalogueFileError) as e:
        fail(str(e))
        raise  # unreachable


@index_app.command("build")
def build_command(
    if_stale: bool = typer.Option(False, "--if-stale", help="Do nothing when the index is already fresh."),
) -> None:
    """Build the search index from the curated core and the imported catalogue."""
    s = settings()
    try:
        catalogue = Catalogue.load(s)
        embedder = make_embedder(s)
        glossary = load_glossary(s)
    except (CatalogueFileError, EmbedderUnavailable, GlossaryError) as e:
        fail(str(e))
    if if_stale:
        try:
            check_fresh(s.index_dir, catalogue, embedder.id, glossary)
            load_search_restorer(s, catalogue)  # rebuilt here, not at the next start, if its inputs changed
            console.print(f"Search index is up to date ({len(catalogue)} procedures).")
            return
        except (IndexMissing, IndexStale):
            pass
    with Progress(TextColumn("embedding passages"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=console, transient=True) as bar:
        task = bar.add_task("embed", total=None)
        report = build_index(catalogue, embedder, s.index_dir,
                             progress=lambda done, total: bar.update(task, completed=done, total=total),
                             glossary=glossary)
    load_search_restorer(s, catalogue)  # the accent restorer for unaccented Vietnamese (bot.search.accents)
    console.print(
        f"Indexed {report.procedures} procedures ({catalogue.curated_count} curated), {report.passages} passages "
        f"({report.embedded} newly embedded by {embedder.id}) in {report.seconds:.1f} s → {report.path}"
    )


def search_command(
    query: str = typer.Argument(..., help="The question, in any of the five languages."),
    lang: Optional[str] = typer.Option(None, "--lang", callback=_lang, help="vi|en|zh|ko|ja (default: detected)."),
    top: int = typer.Option(5, "--top", min=1, max=50, help="How many hits."),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON list of hits."),
) -> None:
    """Search procedures: hybrid FAISS + BM25 with a confidence per hit."""
    if not query.strip():
        raise typer.BadParameter("the query is empty", param_hint="QUERY")
    hits = _service().search(query, lang=lang, top_k=top)
    if as_json:
        print_json([h.to_dict() for h in hits])
        return
    if not hits:
        console.print("No procedure matches.")
        return
    table = Table("code", "name", "confidence", "url")
    for h in hits:
        table.add_row(h.code, h.name, f"{h.confidence:.2f} ({h.band})", h.url or "")
    typer.echo("")
    console.print(table)


@eval_app.command("retrieval")
def eval_retrieval_command(
    file: Path = typer.Argument(..., help='JSONL: {"query", "lang", "expected": [code, …]} per line.'),
    as_json: bool = typer.Option(False, "--json", help="Print the metrics as JSON."),
    save: Optional[Path] = typer.Option(None, help="Also save metrics, configuration and misses here (JSON)."),
) -> None:
    """R@1, R@5 and MRR@10 per language and overall."""
    try:
        cases = read_eval_file(file)
    except EvalFileError as e:
        fail(str(e))
    service = _service()
    result = evaluate(service, cases)
    if save:
        save.write_text(json.dumps(result.to_record(service), ensure_ascii=False, indent=2), encoding="utf-8")
    if as_json:
        print_json(result.metrics())
        return
    m = result.metrics()
    table = Table("language", "queries", "R@1", "R@5", "MRR@10")
    for lang, row in list(m["per_lang"].items()) + [("overall", m["overall"])]:
        n = result.counts.get(lang, sum(result.counts.values()))
        table.add_row(lang, str(n), f"{row['r1']:.3f}", f"{row['r5']:.3f}", f"{row['mrr10']:.3f}")
    console.print(table)


def chat_command(
    lang: Optional[str] = typer.Option(None, "--lang", callback=_lang, help="Answer names in this language."),
) -> None:
    """An interactive search prompt (the assistant's dialogue arrives with the Rasa issue)."""
    service = _service()
    console.print(f"{len(service.catalogue)} procedures loaded. Ask in vi, en, zh, ko or ja; an empty line quits.")
    while True:
        try:
            query = input("? ").strip()
        except (EOFError, KeyboardInterrupt):
            break
        if not query:
            break
        for h in service.search(query, lang=lang, top_k=3):
            typer.echo(f"  {h.code}  {h.name}  [{h.band} {h.confidence:.2f}]  {h.url or ''}")
