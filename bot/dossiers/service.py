"""`DossierService`: the one entry point the CLI and the Rasa actions use.

`lookup(code, verification, user, lang)` answers only the owner: the code and the last 4 digits of
the owner's identity number or phone (setting `verify_with`) are checked against keyed hashes in
constant time, under per-user and per-code failure limits, and every lookup is audited. An unknown
code and a wrong verification give the same `not_verified` answer. The service is stateless between
calls (each call opens its own connection), so it can be shared by threads and processes, and no
decision rests on anything a user can set except the two inputs it verifies on every call.
"""

from __future__ import annotations

import logging
import math
import sqlite3
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Mapping

from . import importer, limits, privacy, store, texts
from .demo import DEMO_NOTE, demo_rows
from .limits import RateLimits
from .model import (
    VERIFY_WITH,
    VN_TZ,
    DemoReport,
    Dossier,
    DossierConfigError,
    DossierImportError,
    ImportReport,
    InvalidDossierCode,
    InvalidVerification,
    LookupResult,
    is_overdue,
)
from .normalise import DEFAULT_CODE_PATTERN, compile_pattern, normalise_code, normalise_verification

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class DossierService:
    """Dossier import, demo data and owner-only lookup over one store file.

    `settings` needs `dossier_db`, `dossier_code_pattern`, `verify_with`, `hash_salt`, `var_dir`,
    `default_lang` and `provincial_portal`. `clock` returns the current time (tests pass a fake one).
    `procedure_names` returns {procedure code: official name}; by default the catalogue is read.
    """

    def __init__(self, settings, *, clock: Clock | None = None, limits: RateLimits | None = None,
                 procedure_names: Callable[[], Mapping[str, str]] | None = None):
        self.settings = settings
        self._clock = clock or utcnow
        self.limits = limits or RateLimits()
        self._procedure_names = procedure_names
        self.db_path = Path(settings.dossier_db or Path(settings.var_dir) / "dossiers.db")
        self.pattern = settings.dossier_code_pattern or DEFAULT_CODE_PATTERN
        compile_pattern(self.pattern)
        if settings.verify_with not in VERIFY_WITH:
            raise DossierConfigError(f"THUTUC_VERIFY_WITH must be one of {', '.join(VERIFY_WITH)}")
        self.verify_with = settings.verify_with
        self.hasher = privacy.Hasher(privacy.resolve_salt(settings.hash_salt, Path(settings.var_dir)))
        db = store.open_db(self.db_path)
        try:
            others = sum(n for sid, n in store.salt_ids(db).items() if sid != self.hasher.salt_id)
        finally:
            db.close()
        if others:
            log.warning("%d dossiers were imported with another hash salt and cannot be verified; "
                        "import them again with the current THUTUC_HASH_SALT", others)

    # --- helpers ------------------------------------------------------------------------------------

    def now(self) -> datetime:
        now = self._clock()
        return now if now.tzinfo else now.replace(tzinfo=timezone.utc)

    def lang(self, lang: str | None) -> str:
        if lang in texts.LANGS:
            return lang  # type: ignore[return-value]
        return self.settings.default_lang if self.settings.default_lang in texts.LANGS else "vi"

    def normalise_code(self, raw: str) -> str:
        """For form validation: the canonical code, or InvalidDossierCode (says nothing about existence)."""
        return normalise_code(raw, self.pattern)

    @staticmethod
    def normalise_verification(raw: str) -> str:
        return normalise_verification(raw)

    def verification_hint(self, lang: str | None = None) -> str:
        """What to type as verification, in the user's language."""
        return texts.verification_hint(self.verify_with, self.lang(lang))

    def _connect(self):
        return store.connect(self.db_path)

    # --- lookup -------------------------------------------------------------------------------------

    def lookup(self, code: str, verification: str, user: str = "anonymous", lang: str | None = None) -> LookupResult:
        """Answer the owner of a dossier. Raises InvalidDossierCode / InvalidVerification on malformed
        input (audited, not counted as a failed verification)."""
        lang = self.lang(lang)
        now = self.now()
        at = now.astimezone(timezone.utc).isoformat(timespec="seconds")
        user_key = self.hasher.key("user", str(user or "anonymous")[:200])
        norm: str | None = None
        try:
            norm = normalise_code(code, self.pattern)
            digits = normalise_verification(verification)
        except (InvalidDossierCode, InvalidVerification) as e:
            # The raw input is never stored or logged: it may be a phone number typed in the wrong box.
            which = "code" if isinstance(e, InvalidDossierCode) else "verification"
            self._audit_only(at=at, user_key=user_key, code=norm, outcome="invalid_input", detail=which,
                             lang=lang)
            log.info("dossier lookup: invalid %s (user %s)", which, user_key[:12])
            raise

        stamp = now.timestamp()
        code_key = self.hasher.key("code", norm)
        db = self._connect()
        try:
            with store.immediate(db):
                lock = limits.check(db, self.limits, user_key, code_key, stamp)
                if lock:
                    outcome, detail, row = "rate_limited", f"{lock.scope}_locked", None
                else:
                    row = store.get_row(db, norm)
                    verified = self._verify(norm, digits, row)
                    if verified:
                        outcome, detail = "ok", None
                    else:
                        outcome = "not_verified"
                        detail = ("unknown_code" if row is None else
                                  "other_salt" if row["salt_id"] != self.hasher.salt_id else "wrong_verification")
                        limits.record_failure(db, self.limits, user_key, code_key, stamp)
                store.audit(db, at=at, user_key=user_key, code=norm, outcome=outcome, detail=detail, lang=lang)
        finally:
            db.close()
        log.info("dossier lookup: %s (code %s, user %s)", outcome, norm, user_key[:12])
        if detail == "other_salt":
            log.warning("dossier %s was imported with another hash salt; import it again", norm)
        if outcome == "ok":
            return self._ok(store.to_dossier(row), lang, now)
        if outcome == "rate_limited":
            minutes = max(1, math.ceil(lock.retry_after_s / 60))
            text = texts.message("rate_limited", lang, minutes=minutes)
            return LookupResult(outcome="rate_limited", code=norm, lang=lang, text=text, next_step=text,
                                retry_after_s=lock.retry_after_s)
        text = texts.message("not_verified", lang, code=norm, hint=self.verification_hint(lang),
                             limit=self.limits.max_failures)
        return LookupResult(outcome="not_verified", code=norm, lang=lang, text=text, next_step=text)

    def _verify(self, code: str, digits: str, row: dict | None) -> bool:
        row = row or {}
        usable = row.get("salt_id") == self.hasher.salt_id
        stored: list[tuple[str, str | None]] = []
        if self.verify_with in ("id_number", "either"):
            stored.append((privacy.ID4, row.get("id4_hash") if usable else None))
        if self.verify_with in ("phone", "either"):
            stored.append((privacy.PHONE4, row.get("phone4_hash") if usable else None))
        return self.hasher.matches_any(code, digits, stored)

    def _audit_only(self, **values) -> None:
        db = self._connect()
        try:
            with store.immediate(db):
                store.audit(db, **values)
        finally:
            db.close()

    def _ok(self, d: Dossier, lang: str, now: datetime) -> LookupResult:
        overdue = is_overdue(d.status_code, d.appointment_at, now)
        st = texts.status_text(d.status_code, lang)
        label = (texts.DEMO_TAG if d.demo else "") + st.label
        step = texts.next_step(d.status_code, lang, documents=d.missing_documents, amount=d.amount_due,
                               overdue=overdue, provincial_portal=self.settings.provincial_portal)
        procedure = f"{d.procedure_name} ({d.procedure_code})" if d.procedure_name else d.procedure_code
        lines = [texts.message("demo", lang)] if d.demo else []
        lines += [
            texts.message("heading", lang, code=d.code),
            texts.line("procedure", procedure, lang),
            texts.line("agency", d.agency, lang) + " · "
            + texts.line("channel", texts.channel_name(d.channel, lang), lang),
            texts.line("status", f"{label} — {st.meaning}", lang),
            texts.dates_line(d.received_at, d.appointment_at, d.completed_at, overdue, lang),
            texts.line("next_step", step, lang),
        ]
        if d.status_note and not d.demo:
            lines.append(texts.line("note", d.status_note, lang))
        return LookupResult(
            outcome="ok", code=d.code, lang=lang, text="\n".join(lines), next_step=step,
            status_code=d.status_code, status=label, meaning=st.meaning, received_at=d.received_at,
            appointment_at=d.appointment_at, completed_at=d.completed_at, overdue=overdue,
            procedure_code=d.procedure_code, procedure_name=d.procedure_name, agency=d.agency,
            channel=d.channel, amount_due=d.amount_due, missing_documents=d.missing_documents, demo=d.demo,
        )

    # --- import and demo ----------------------------------------------------------------------------

    def _names(self) -> Mapping[str, str]:
        if self._procedure_names is not None:
            return self._procedure_names()
        try:
            from ..catalogue import Catalogue

            return {p.code: p.name.get("vi", "") for p in Catalogue.load(self.settings)}
        except Exception as e:  # the catalogue is optional here: names are a convenience
            log.warning("procedure names unavailable (%s); dossiers are stored without them", type(e).__name__)
            return {}

    def _apply(self, records: list[dict], *, file: str, sha256: str, rows: int, bad_rows: int) -> tuple[int, int, int]:
        inserted = updated = unchanged = 0
        db = self._connect()
        try:
            with store.immediate(db):
                existing = store.fingerprints(db)
                changed = []
                for rec in records:
                    before = existing.get(rec["code"])
                    if before is None:
                        inserted += 1
                    elif before == rec["fingerprint"]:
                        unchanged += 1
                        continue
                    else:
                        updated += 1
                    changed.append(rec)
                store.upsert(db, changed)
                store.record_import(
                    db, at=self.now().astimezone(timezone.utc).isoformat(timespec="seconds"), file=file,
                    sha256=sha256, rows=rows, inserted=inserted, updated=updated, unchanged=unchanged,
                    bad_rows=bad_rows,
                )
        except sqlite3.Error as e:
            raise DossierImportError(f"the dossier store could not be written ({e}); nothing was applied") from None
        finally:
            db.close()
        return inserted, updated, unchanged

    def import_file(self, path: Path, *, strict: bool = False) -> ImportReport:
        """Upsert the valid rows of a CSV or JSON file by code; bad rows are reported and skipped.

        Raises DossierImportError (nothing applied) on a fatal problem, or on any bad row if `strict`.
        """
        path = Path(path)
        parsed = importer.parse_file(path, pattern=self.pattern, verify_with=self.verify_with)
        bad_lines = len({p.line for p in parsed.problems})
        if strict and parsed.problems:
            raise DossierImportError(f"{path}: {bad_lines} bad row(s) with --strict: nothing was applied",
                                     parsed.problems)
        if not parsed.rows:
            raise DossierImportError(f"{path}: no valid dossier row; nothing was applied", parsed.problems)
        names = self._names()
        updated_at = self.now().astimezone(timezone.utc).isoformat(timespec="seconds")
        records = [importer.to_record(r, self.hasher, procedure_name=names.get(r.procedure_code) or None,
                                      updated_at=updated_at) for r in parsed.rows]
        inserted, updated, unchanged = self._apply(records, file=path.name, sha256=parsed.sha256,
                                                   rows=parsed.records, bad_rows=bad_lines)
        log.info("dossier import %s: %d rows, %d new, %d updated, %d unchanged, %d bad", path.name,
                 parsed.records, inserted, updated, unchanged, bad_lines)
        return ImportReport(path=str(path), rows=parsed.records, inserted=inserted, updated=updated,
                            unchanged=unchanged, problems=parsed.problems)

    def load_demo(self) -> DemoReport:
        """Create (or refresh) the demo dossiers, dated relative to today."""
        today = self.now().astimezone(VN_TZ).date()
        updated_at = self.now().astimezone(timezone.utc).isoformat(timespec="seconds")
        demos = demo_rows(today)
        records = [importer.to_record(row, self.hasher, procedure_name=name, updated_at=updated_at, demo=True,
                                      status_note=DEMO_NOTE) for row, name, _ in demos]
        self._apply(records, file="(demo)", sha256="", rows=len(records), bad_rows=0)
        return DemoReport(codes=tuple(r.code for r, _, _ in demos),
                          verify={r.code: digits for r, _, digits in demos},
                          status={r.code: r.status_code for r, _, _ in demos})

    def remove_demo(self) -> int:
        db = self._connect()
        try:
            with store.immediate(db):
                return store.delete_demo(db)
        finally:
            db.close()
