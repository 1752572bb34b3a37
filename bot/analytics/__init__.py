"""Usage counts per day × language × metric, in the front end's SQLite file (no personal data).

Metrics: `message` (a citizen message), `low_confidence` (an answer the search was unsure of),
`handoff` (a case opened), `link_click` (a portal link followed through the web chat's /go/<id>).
Days are counted in the centre's time zone (Asia/Ho_Chi_Minh), so a "day" is a Vietnamese day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Callable
from zoneinfo import ZoneInfo

import sqlite_utils

from ..i18n import SUPPORTED
from ..storage import immediate, migrate_component

__all__ = ["METRICS", "Analytics", "DayCounts"]

METRICS = ("message", "low_confidence", "handoff", "link_click")
TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def _v1(db: sqlite_utils.Database) -> None:
    db["analytics"].create({"day": str, "lang": str, "metric": str, "n": int},
                           pk=("day", "lang", "metric"), not_null={"n"}, defaults={"n": 0})


MIGRATIONS = {1: _v1}


@dataclass(frozen=True)
class DayCounts:
    day: str
    lang: str
    message: int = 0
    low_confidence: int = 0
    handoff: int = 0
    link_click: int = 0


class Analytics:
    def __init__(self, db: sqlite_utils.Database, clock: Callable[[], datetime] | None = None):
        self.db = db
        self.clock = clock or (lambda: datetime.now(timezone.utc))
        migrate_component(db, "analytics", MIGRATIONS)

    def today(self) -> date:
        return self.clock().astimezone(TZ).date()

    def count(self, metric: str, lang: str | None, n: int = 1, day: date | None = None) -> None:
        """Add `n` to the metric of `lang` on `day` (today in Vietnam by default)."""
        if metric not in METRICS:
            raise ValueError(f"metric must be one of {METRICS}, not {metric!r}")
        lang = lang if lang in SUPPORTED else "other"
        # An upsert is one statement, but counters are read-modify-write: take the write lock first.
        with immediate(self.db):
            self.db.execute(
                "INSERT INTO analytics (day, lang, metric, n) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(day, lang, metric) DO UPDATE SET n = n + excluded.n",
                [(day or self.today()).isoformat(), lang, metric, int(n)])

    def table(self, days: int = 7) -> list[DayCounts]:
        """Counts of the last `days` days (today included), newest first, one row per day × language."""
        since = (self.today() - timedelta(days=max(days, 1) - 1)).isoformat()
        rows: dict[tuple[str, str], dict[str, int]] = {}
        for day, lang, metric, n in self.db.execute(
                "SELECT day, lang, metric, n FROM analytics WHERE day >= ? ORDER BY day DESC, lang", [since]):
            if metric in METRICS:
                rows.setdefault((day, lang), {})[metric] = n
        return [DayCounts(day, lang, **counts) for (day, lang), counts in rows.items()]
