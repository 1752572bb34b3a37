"""Offline language identification restricted to the assistant's five languages.

The script decides Korean, Japanese and Chinese outright; Vietnamese diacritics decide Vietnamese;
what is left (Latin script without marks: English, or Vietnamese typed without accents) goes to
lingua restricted to those two languages. A caller's hint (a channel's language or the user's
explicit choice) wins when the text itself is not conclusive.
"""

from __future__ import annotations

from functools import lru_cache

from .script import clean, has_vietnamese_marks, script_of

SUPPORTED: tuple[str, ...] = ("vi", "en", "zh", "ko", "ja")

# Frequent Vietnamese syllables as typed without accents ("lam lai can cuoc bi mat"): lingua reads
# such text as English, so a query made mostly of them is taken as Vietnamese.
_VI_PLAIN = frozenset(
    """anh ba bao bi bo bao cach cai can cap cho chi chieu chu chung chuyen co con cong cua cuoc cu cu
    dan dang dat den di dia dien dinh do doanh doi dong du duoc gia giai giam gio giay gi hai han hanh
    hien ho hoa hoc hop huong khai khi khong kinh ky la lai lam lan le lien luu mat minh moi muon nam
    nay nao ngay nghiep ngoai nguoi nha nhan nhap nhieu nhu noi nop nuoc o phai phi phep phong quan
    que quyen ra sao sinh so su tai tam tai thai thanh the theo thi thong thu thuc thue thuong tien
    tinh toi tra tren trong tru truc tu tuc uy va van ve viec vien vo xa xac xe xin xuat""".split()
)


@lru_cache(maxsize=1)
def _latin_detector():
    from lingua import Language, LanguageDetectorBuilder

    return LanguageDetectorBuilder.from_languages(Language.VIETNAMESE, Language.ENGLISH).build()


def detect_language(text: str, hint: str | None = None) -> str | None:
    """The language of `text` among SUPPORTED, or `hint` (or None) when it cannot be told."""
    hint = hint if hint in SUPPORTED else None
    text = clean(text)
    if not any(ch.isalpha() for ch in text):
        return hint
    by_script = script_of(text)
    if by_script:
        return by_script
    if has_vietnamese_marks(text):
        return "vi"
    words = [w for w in text.lower().split() if w.isalpha()]
    if words and sum(w in _VI_PLAIN for w in words) / len(words) >= 0.6:
        return "vi"
    from lingua import Language

    detector = _latin_detector()
    values = {c.language: c.value for c in detector.compute_language_confidence_values(text)}
    vi, en = values.get(Language.VIETNAMESE, 0.0), values.get(Language.ENGLISH, 0.0)
    if len(text.split()) < 2 and hint:
        return hint
    return "vi" if vi > en else "en"
