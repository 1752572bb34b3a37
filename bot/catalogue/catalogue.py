"""The catalogue the rest of the assistant reads: curated core merged with the national import.

Curated text and translations always win; facts come from the newest import when the procedure was
imported (the curated file's facts otherwise), so the catalogue works without any import at all.
"""

from __future__ import annotations

import difflib
import hashlib
import json
from dataclasses import replace
from pathlib import Path
from typing import Iterator

from ..config import Settings
from .curated import load_dir, procedure_to_dict
from .model import Procedure, UnknownProcedure
from .names import NameTranslation, apply_names, load_names
from .store import load_imported


def merge(curated: Procedure, imported: Procedure) -> Procedure:
    links = {**dict(curated.links), "national": imported.links.get("national") or curated.links.get("national")}
    name = {**dict(curated.name), "vi": imported.name["vi"]}
    return replace(
        curated,
        name=name,
        field=imported.field,
        level=imported.level,
        agency=imported.agency,
        receiving_agency=imported.receiving_agency,
        result=imported.result,
        channels=imported.channels,
        fully_online=imported.fully_online if imported.fully_online is not None else curated.fully_online,
        legal_basis=imported.legal_basis,
        links=links,
        popularity=imported.popularity or curated.popularity,
    )


class Catalogue:
    def __init__(self, procedures: dict[str, Procedure],
                 stale_names: list[tuple[NameTranslation, str]] | None = None):
        self._by_code = dict(sorted(procedures.items()))
        # Translations of an official name the import has since changed (not used; for an operator).
        self.stale_names = stale_names or []

    @classmethod
    def load(cls, settings: Settings) -> "Catalogue":
        curated = load_dir(Path(settings.procedures_dir))
        imported = load_imported(Path(settings.catalogue_db))
        merged = dict(imported)
        for code, p in curated.items():
            merged[code] = merge(p, imported[code]) if code in imported else p
        merged, stale = apply_names(merged, load_names(settings.names_dir))
        return cls(merged, stale)

    def __len__(self) -> int:
        return len(self._by_code)

    def __iter__(self) -> Iterator[Procedure]:
        return iter(self._by_code.values())

    def __contains__(self, code: object) -> bool:
        return code in self._by_code

    def get(self, code: str) -> Procedure:
        code = (code or "").strip()
        try:
            return self._by_code[code]
        except KeyError:
            raise UnknownProcedure(code, self.nearest_codes(code)) from None

    def nearest_codes(self, code: str, n: int = 3) -> tuple[str, ...]:
        return tuple(difflib.get_close_matches(code, self._by_code.keys(), n=n, cutoff=0.6))

    @property
    def curated_count(self) -> int:
        return sum(1 for p in self if p.curated)

    def fingerprint(self) -> str:
        """Changes whenever any searchable content changes (used to detect a stale index)."""
        h = hashlib.sha256()
        for p in self:
            h.update(json.dumps(procedure_to_dict(p), ensure_ascii=False, sort_keys=True).encode())
        return h.hexdigest()
