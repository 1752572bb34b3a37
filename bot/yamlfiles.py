"""YAML files read through a cache keyed by their content.

The catalogue's ~180 YAML files (curated procedures, names and aliases of imported procedures) take
about a second to parse even with libyaml, and every process that loads the catalogue, every index
rebuild and the accent restorer paid it again. A pickle of the parsed content, named by the SHA-256
of the file's bytes (and the parser), loads in milliseconds; an edited file has a new hash, so a stale
entry is never read. The cache lives in `<models>/cache/yaml` (git-ignored, safe to delete); when it
cannot be written, files are simply parsed every time. Parse errors are never cached: they raise as
PyYAML raises them.
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)
_cache_dir: Path | None = None


def _loader():
    import yaml

    return getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml: about ten times faster


def cache_dir() -> Path:
    global _cache_dir
    if _cache_dir is None:
        from .config import Settings

        _cache_dir = Path(Settings.from_env().models_dir) / "cache" / "yaml"
    return _cache_dir


def read_yaml(path: Path | str) -> Any:
    """The parsed content of a YAML file (safe loader), from the cache when the same bytes were parsed
    before. Raises OSError when the file cannot be read and yaml.YAMLError when it is not valid."""
    import yaml

    raw = Path(path).read_bytes()
    key = hashlib.sha256(raw + f"\0{yaml.__version__}\0{_loader().__name__}".encode()).hexdigest()
    entry = cache_dir() / f"{key}.pickle"
    try:
        return pickle.loads(entry.read_bytes())
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, IndexError):
        pass  # not cached yet (or a damaged entry): parsed below and written again
    data = yaml.load(raw.decode("utf-8"), Loader=_loader())
    try:
        entry.parent.mkdir(parents=True, exist_ok=True)
        tmp = entry.with_name(f"{entry.name}.{os.getpid()}.tmp")
        tmp.write_bytes(pickle.dumps(data, protocol=pickle.HIGHEST_PROTOCOL))
        os.replace(tmp, entry)
    except OSError as e:
        log.debug("YAML cache not written (%s): the file is parsed again next time", e)
    return data
