"""The secret salt and the keyed hashes of personal data, compared in constant time.

Every hash is HMAC-SHA256 keyed by the salt (`THUTUC_HASH_SALT`) over a purpose and the dossier code,
so the same identity number gives unrelated hashes in two dossiers, and the 10,000 possible last-4
values cannot be tabulated without the salt. When the salt is not set (local development) a random
one is generated once into `var/dossier_hash_salt` (mode 600) and a warning says so.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import secrets
import stat
from pathlib import Path

from .model import DossierConfigError

log = logging.getLogger(__name__)

DEV_SALT_FILE = "dossier_hash_salt"
MIN_SALT_LENGTH = 16
_DUMMY = "0" * 64
_warned: set[str] = set()

# Hash purposes; the stored columns are named after them.
ID = "id"
ID4 = "id4"
PHONE = "phone"
PHONE4 = "phone4"


def resolve_salt(hash_salt: str, var_dir: Path) -> bytes:
    """The salt from the environment, or the local development salt (created on first use)."""
    if hash_salt:
        if len(hash_salt) < MIN_SALT_LENGTH:
            raise DossierConfigError(f"THUTUC_HASH_SALT must be at least {MIN_SALT_LENGTH} characters long")
        return hash_salt.encode("utf-8")
    path = Path(var_dir) / DEV_SALT_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(fd, "w", encoding="ascii") as f:
            f.write(secrets.token_hex(32) + "\n")
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        os.chmod(path, 0o600)
        log.warning("tightened the permissions of %s to 600", path)
    salt = path.read_text(encoding="ascii").strip()
    if len(salt) < MIN_SALT_LENGTH:
        raise DossierConfigError(f"{path} does not hold a usable salt; delete it to generate a new one")
    if str(path) not in _warned:
        _warned.add(str(path))
        log.warning(
            "THUTUC_HASH_SALT is not set: using the local development salt in %s. "
            "Set THUTUC_HASH_SALT for any real data (changing the salt later needs a re-import).", path,
        )
    return salt.encode("ascii")


class Hasher:
    """Keyed hashes bound to a purpose and a dossier code."""

    def __init__(self, salt: bytes):
        self._salt = salt
        self.salt_id = self._mac("salt-id", "", "")[:16]

    def __repr__(self) -> str:
        return f"Hasher(salt_id={self.salt_id})"

    def _mac(self, purpose: str, code: str, value: str) -> str:
        msg = f"thutuc\x1f{purpose}\x1f{code}\x1f{value}".encode("utf-8")
        return hmac.new(self._salt, msg, hashlib.sha256).hexdigest()

    def digest(self, purpose: str, code: str, value: str) -> str:
        return self._mac(purpose, code, value)

    def key(self, scope: str, value: str) -> str:
        """An opaque key for a user or a code (rate limits, audit)."""
        return self._mac("key:" + scope, "", value)[:32]

    def matches_any(self, code: str, digits: str, stored: list[tuple[str, str | None]]) -> bool:
        """True when `digits` matches one of the stored (purpose, hash) pairs.

        Every pair is computed and compared (missing hashes against a dummy), without short cut,
        so the time does not depend on which hash matched or whether the dossier exists.
        """
        result = False
        for purpose, stored_hash in stored:
            candidate = self._mac(purpose, code, digits)
            same = hmac.compare_digest(candidate, stored_hash or _DUMMY)
            result = result | (same and stored_hash is not None)
        return result
