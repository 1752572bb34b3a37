"""`MultilingualTokenizer`: one Rasa tokenizer for Vietnamese, English, Chinese, Korean and Japanese.

- Chinese and Japanese (Han and kana) become one token per character, so any entity span annotated
  inside a run of Han or kana lines up with token boundaries.
- Vietnamese stays as syllables, English as words, Korean as whitespace words (particles stay on the
  noun: "여권을"); a change of script inside a word splits it ("H56.14-240823-0001을" → code + "을").
- Codes stay whole: dots, hyphens, slashes and underscores (and their full-width forms) between
  letters or digits join ("H56.14-240823-0001", "1.004194", "12/05/2024"), as do commas and colons
  between digits ("10,000", "7:30") and apostrophes between letters ("don't").
- Punctuation is dropped; other symbols (emoji, "+", "%", "₫") are one token each. A text with no
  token at all becomes one token spanning it, as Rasa's WhitespaceTokenizer does.

Token offsets are exact offsets into the original message text (no cleaning before matching);
only the token text is normalised (NFKC, lower case), so full-width "Ｈ５６" gives the token text
"h56" with the offsets of the full-width characters.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any, Dict, List, Optional, Text

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.tokenizers.tokenizer import Token, Tokenizer
from rasa.shared.nlu.training_data.message import Message

from ..i18n.script import HAN, HANGUL, KANA
from . import FingerprintsOwnCode

# Han and kana plus the ideographic iteration marks and the supplementary ideograph planes.
_CJK = HAN + KANA + "\u3005\u3007\u303b\U00020000-\U0003134f"
# Combining marks: decomposed Vietnamese ("đăng" typed as NFD) must not split inside a syllable.
_MARKS = "\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f"
# A letter or digit of any other script (not Han, kana or Hangul; not the underscore).
_W = rf"(?:[^\W_{_CJK}{HANGUL}]|[{_MARKS}])"
_JOIN = r"(?:[._/\-\u2010-\u2013\u2212\uff0d\uff0e\uff0f\uff3f]|(?<=\d)[,:](?=\d)|(?<=[^\W\d_])['’](?=[^\W\d_]))"
# Emoji modifiers, variation selectors and zero-width-joiner sequences stay with their symbol.
_SYMBOL_TAIL = r"(?:[\ufe0e\ufe0f\u20e3\U0001f3fb-\U0001f3ff]|\u200d[^\s\w])*"

_TOKEN = re.compile(
    rf"(?P<cjk>[{_CJK}])"
    rf"|(?P<hangul>[{HANGUL}]+)"
    rf"|(?P<word>{_W}+(?:{_JOIN}{_W}+)*)"
    rf"|(?P<other>[^\s\w]{_SYMBOL_TAIL})"
)


def _normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text).lower()


def split(text: str) -> List[Token]:
    """Tokens of `text` with exact character offsets; token text is NFKC and lower case."""
    tokens: List[Token] = []
    for m in _TOKEN.finditer(text):
        if m.lastgroup == "other" and not unicodedata.category(m.group()[0]).startswith("S"):
            continue  # punctuation, invisible format characters, stray combining marks
        tokens.append(Token(_normalise(m.group()), m.start(), m.end()))
    if not tokens and text.strip():
        start = len(text) - len(text.lstrip())
        end = len(text.rstrip())
        tokens.append(Token(_normalise(text[start:end]), start, end))
    return tokens


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER], is_trainable=False
)
class MultilingualTokenizer(FingerprintsOwnCode, Tokenizer):
    """Vietnamese syllables, English and Korean words, Chinese and Japanese characters."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            # Split intent names on `intent_split_symbol` (as Rasa's WhitespaceTokenizer does).
            "intent_tokenization_flag": False,
            "intent_split_symbol": "_",
            # Split intent names at this symbol into a prefix and the rest (None: no split).
            "prefix_separator_symbol": None,
        }

    @staticmethod
    def not_supported_languages() -> Optional[List[Text]]:
        return None

    def tokenize(self, message: Message, attribute: Text) -> List[Token]:
        return split(message.get(attribute) or "")
