"""Tokenisation for BM25 across Vietnamese, English, Chinese, Japanese and Korean.

- Vietnamese: syllables with and without diacritics, plus syllable bigrams ("tạm trú" as one unit),
  so "dang ky tam tru" and "đăng ký tạm trú" meet.
- Chinese / Japanese: no spaces, so CJK and kana runs become character unigrams and bigrams.
- Korean: words plus character bigrams inside each word; particles and verb endings stick to nouns
  ("거주증을", "발급받고"), so each word also yields its stem with them stripped ("거주증", "발급").
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

# Korean: whole words that carry no procedure meaning, and endings stripped from the end of a word
# (longest first; at most twice, so "발급받고" -> "발급", "임시거주증을" -> "임시거주증"). The stem is an
# extra token beside the word, so a wrongly stripped noun still meets itself.
KO_STOPWORDS = frozenset(
    "싶어요 싶습니다 싶은데 싶다 어떻게 어떡해요 있나요 있어요 있습니까 되나요 돼요 하나요 합니까 "
    "인가요 뭐예요 무엇인가요 좀 제가 저는 저 내 제 어디서 어디에서 어디 언제 수 할 해야 하나 "
    "필요한 필요해요 필요합니다 알려주세요 주세요".split()
)
_KO_SUFFIXES = tuple(sorted(
    ("받으려면 받으려고 받고 받기 받을 받는 받은 받아야 받았는데 하려면 하려고 하고 하기 하는 하면 "
     "해요 합니다 했는데 했어요 해야 할 한 했고 되려면 되나요 "
     "에서는 에서도 으로는 으로 에서 에게 한테 까지 부터 처럼 이나 이랑 랑 "
     "을 를 이 가 은 는 에 의 로 와 과 도 만").split(),
    key=len, reverse=True,
))


def korean_stem(word: str) -> str:
    for _ in range(2):
        for suffix in _KO_SUFFIXES:
            if word.endswith(suffix) and len(word) - len(suffix) >= 2:
                word = word[:-len(suffix)]
                break
        else:
            break
        if len(suffix) == 1:  # one particle at most: "오토바이를" -> "오토바이", not "오토바"
            break
    return word


def _korean_tokens(word: str) -> list[str]:
    if word in KO_STOPWORDS:
        return []
    stem = korean_stem(word)
    out = [word] if stem == word else [word, stem]
    out += [stem[i:i + 2] for i in range(len(stem) - 1)]  # a two-syllable stem counts twice
    return out


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
    elif (stem := english_stem(word)) != word:
        out.append(stem)
    return out


_ENDINGS = ("ing", "ed", "es", "e", "s")


def english_stem(word: str) -> str:
    """A light suffix strip that sends the forms of one English word to one token: "reissued",
    "reissue", "reissues" -> "reissu"; "renewing", "renewed" -> "renew"; "cards" -> "card". The word
    itself stays a token beside it. Vietnamese syllables never end so (no "-ing", "-ed", "-s"; a
    final "e" only in syllables shorter than five letters), so they pass unchanged."""
    if word.endswith("ss"):
        return word
    for ending in _ENDINGS:
        if word.endswith(ending) and len(word) - len(ending) >= 4:
            return word[:-len(ending)]
    return word


def _split_scripts(text: str) -> tuple[list[str], list[str]]:
    """The CJK and Hangul tokens of `text`, and its Latin-script words (lower case)."""
    text = clean(text).lower()
    tokens: list[str] = []
    for m in _CJK_RUN.finditer(text):
        tokens += _cjk_tokens(m.group(0))
    for m in _HANGUL_RUN.finditer(text):
        tokens += _korean_tokens(m.group(0))
    return tokens, [m.group(0) for m in _LATIN_RUN.finditer(text)]


def _syllable_bigrams(latin: list[str]) -> list[str]:
    # On the diacritic-free form, so Vietnamese compounds meet in either spelling.
    plain = [strip_diacritics(w) for w in latin if w not in STOPWORDS]
    return [f"{a}_{b}" for a, b in zip(plain, plain[1:])]


def tokenize(text: str) -> list[str]:
    tokens, latin = _split_scripts(text)
    for run in latin:
        tokens += _latin_tokens(run)
    return tokens + _syllable_bigrams(latin)


def word_tokens(text: str, compounds: bool = False) -> list[str]:
    """The BM25 tokens of `text` with one form per Latin-script word (its stem or unaccented form,
    which every document holds beside the word itself), so that no word counts twice; syllable
    bigrams only when `compounds` (a Vietnamese question: "tạm trú" is one word there, while two
    English words side by side are a phrase no document need repeat). Used to measure how much
    of a question a procedure covers (`SearchService.features`, word_cover)."""
    tokens, latin = _split_scripts(text)
    for run in latin:
        forms = _latin_tokens(run)
        if forms:
            tokens.append(forms[-1])
    return tokens + (_syllable_bigrams(latin) if compounds else [])
