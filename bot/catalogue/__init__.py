"""Procedure catalogue: schema, curated YAML core, national-crawl importer and the merged view."""

from .catalogue import Catalogue, merge
from .crawl import CrawlFormatError, Finding
from .curated import CatalogueFileError, Problem, validate_dir
from .model import CHANNELS, LANGS, LEVELS, ChannelRow, LegalRef, Money, Procedure, UnknownProcedure
from .store import FactChange, ImportReport, import_crawl, list_fact_changes, list_findings

__all__ = [
    "CHANNELS", "LANGS", "LEVELS", "Catalogue", "CatalogueFileError", "ChannelRow", "CrawlFormatError",
    "FactChange", "Finding", "ImportReport", "LegalRef", "Money", "Problem", "Procedure", "UnknownProcedure",
    "import_crawl", "list_fact_changes", "list_findings", "merge", "validate_dir",
]
