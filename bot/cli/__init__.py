"""The `thutuc` command line. Thin: each command is one library call, library errors become CLI errors.

Each capability registers its own sub-command group from its own module here.
"""

from __future__ import annotations

import logging

import typer

from . import catalogue as _catalogue
from . import dossier as _dossier
from . import fee as _fee
from . import run as _run
from . import search as _search
from . import stats as _stats

app = typer.Typer(help="thutuc: Quảng Ngãi administrative procedure assistant.", no_args_is_help=True,
                  pretty_exceptions_enable=False, add_completion=False)
app.add_typer(_catalogue.app, name="catalogue")
app.add_typer(_search.index_app, name="index")
app.add_typer(_dossier.app, name="dossier")
app.add_typer(_fee.app, name="fee")
app.add_typer(_search.eval_app, name="eval")
app.command("search")(_search.search_command)
app.command("chat")(_search.chat_command)
app.command("train")(_run.train_command)
app.command("serve")(_run.serve_command)
app.command("frontend")(_run.frontend_command)
app.command("run")(_run.run_command)
app.command("stats")(_stats.stats_command)


def main() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    app()
