"""Fees: per-channel amounts from the catalogue, dated reduction rules from data/fees/, quotes.

Plain Python (no Rasa, Telegram or Typer): the CLI and the Rasa actions call the same API,
`FeeCalculator.load(settings).quote(code, channel, quantity, on, lang)` and `.compare(...)`.
"""

from .calculator import CHANNEL_ORDER, FeeCalculator, check_quantity, fee_data_dir, with_rules
from .model import (
    CONFIDENCE,
    CURRENCIES,
    MAX_QUANTITY,
    BadQuantity,
    ChannelNotAvailable,
    Comparison,
    FeeDataError,
    FeeError,
    FeeItem,
    ItemSpec,
    LineItem,
    Note,
    Quote,
    Rule,
    Tier,
)
from .render import (
    comparison_json,
    format_day,
    format_money,
    note_text,
    quote_json,
    render_comparison,
    render_quote,
)
from .rules import FeeData, load_fee_data

__all__ = [
    "CHANNEL_ORDER", "CONFIDENCE", "CURRENCIES", "MAX_QUANTITY", "BadQuantity", "ChannelNotAvailable",
    "Comparison", "FeeCalculator", "FeeData", "FeeDataError", "FeeError", "FeeItem", "ItemSpec", "LineItem",
    "Note", "Quote", "Rule", "Tier", "check_quantity", "comparison_json", "fee_data_dir", "format_day",
    "format_money", "load_fee_data", "note_text", "quote_json", "render_comparison", "render_quote",
    "with_rules",
]
