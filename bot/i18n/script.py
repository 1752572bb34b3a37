"""Script-level text facts shared by language detection and search: cleaning, diacritics, scripts."""

from __future__ import annotations

import re
import unicodedata

HAN = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
KANA = r"\u3040-\u309f\u30a0-\u30ff\uff66-\uff9f"
HANGUL = r"\uac00-\ud7af\u1100-\u11ff\u3130-\u318f"
_INVISIBLE = re.compile(r"[\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff\U000e0000-\U000e007f]")
_WORD = re.compile(r"\w+")
_VI_MARKS = re.compile(r"[ăâđêôơưáàảãạấầẩẫậắằẳẵặéèẻẽẹếềểễệíìỉĩịóòỏõọốồổỗộớờởỡợúùủũụứừửữựýỳỷỹỵ]", re.I)


def clean(text: str) -> str:
    """NFKC (folds full-width digits and letters), no invisible or control characters, single spaces."""
    text = unicodedata.normalize("NFKC", text or "")
    text = _INVISIBLE.sub("", text)
    text = "".join(ch if ch.isprintable() else " " for ch in text)
    return " ".join(text.split())


def strip_diacritics(text: str) -> str:
    text = text.replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFD", text)
    return unicodedata.normalize("NFC", "".join(c for c in decomposed if unicodedata.category(c) != "Mn"))


def plain_words(text: str) -> str:
    """Lower-case unaccented words, space-separated with a space at each end (for whole-word `in`)."""
    return " " + " ".join(_WORD.findall(strip_diacritics(text.lower()))) + " "


def script_of(text: str) -> str | None:
    """A language implied by the script alone: ko (Hangul), ja (kana), zh (Han only), else None."""
    if re.search(rf"[{HANGUL}]", text):
        return "ko"
    if re.search(rf"[{KANA}]", text):
        return "ja"
    if re.search(rf"[{HAN}]", text):
        return "zh"
    return None


def has_vietnamese_marks(text: str) -> bool:
    return bool(_VI_MARKS.search(text))
