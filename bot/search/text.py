"""Tokenisation for BM25 across Vietnamese, English, Chinese, Japanese and Korean.

- Vietnamese: syllables with and without diacritics, plus syllable bigrams ("tạm trú" as one unit),
  so "dang ky tam tru" and "đăng ký tạm trú" meet.
- Chinese / Japanese: no spaces, so CJK and kana runs become character unigrams and bigrams.
- Korean: words plus character bigrams inside each word (particles stick to nouns: "거주증을").
- English: lower-cased words with a light plural strip.
"""

from __future__ import annotations

import re

from ..i18n.script import HAN, HANGUL, KANA, clean, strip_diacritics

_CJK_RUN = re.compile(rf"[{HAN}{KANA}]+")
_HANGUL_RUN = re.compile(rf"[{HANGUL}]+")
_LATIN_RUN = re.compile(r"[0-9A-Za-z\u00c0-\u024f\u1e00-\u1eff]+")

STOPWORDS = frozenset(
    "the a an of for to in on at and or my is are be how do does i can what where when which with "
    "want need get please about from by it me you your this that have has will would should".split()
)




def _cjk_tokens(run: str) -> list[str]:
    out = list(run)
    out += [run[i:i + 2] for i in range(len(run) - 1)]
    return out


def _latin_tokens(run: str) -> list[str]:
    word = run.lower()
    if word in STOPWORDS:
        return []
    plain = strip_diacritics(word)
    out = [word]
    if plain != word:
        out.append(plain)
    elif len(word) > 4 and word.endswith("s") and not word.endswith("ss"):
        out.append(word[:-1])  # cards -> card, visas -> visa
    return out


def tokenize(text: str) -> list[str]:
    text = clean(text).lower()
    tokens: list[str] = []
    for m in _CJK_RUN.finditer(text):
        tokens += _cjk_tokens(m.group(0))
    for m in _HANGUL_RUN.finditer(text):
        word = m.group(0)
        tokens.append(word)
        tokens += [word[i:i + 2] for i in range(len(word) - 1)]
    latin = [m.group(0) for m in _LATIN_RUN.finditer(text)]
    words: list[str] = []
    for run in latin:
        words += _latin_tokens(run)
    tokens += words
    # Syllable bigrams on the diacritic-free form catch Vietnamese compounds in either spelling.
    plain = [strip_diacritics(w.lower()) for w in latin if w.lower() not in STOPWORDS]
    tokens += [f"{a}_{b}" for a, b in zip(plain, plain[1:])]
    return tokens
