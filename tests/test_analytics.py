"""bot/analytics: counts per day (Vietnam time) × language × metric, and `thutuc stats`."""

from __future__ import annotations

import json
import threading
from datetime import date, datetime, timezone

import pytest
from typer.testing import CliRunner

from bot.analytics import METRICS, Analytics, DayCounts
from bot.cli import app
from bot.storage import connect


@pytest.fixture
def analytics(tmp_path, clock):
    return Analytics(connect(tmp_path / "frontend.db"), clock)


def test_counts_are_upserted_per_day_language_metric(analytics):
    analytics.count("message", "vi")
    analytics.count("message", "vi", n=2)
    analytics.count("message", "ko")
    analytics.count("handoff", "ko")
    analytics.count("link_click", "xx")  # an unsupported language is kept apart, not dropped
    analytics.count("low_confidence", None)
    rows = analytics.table(days=1)
    assert rows == [
        DayCounts("2025-03-03", "ko", message=1, handoff=1),
        DayCounts("2025-03-03", "other", low_confidence=1, link_click=1),
        DayCounts("2025-03-03", "vi", message=3),
    ]


def test_unknown_metric_is_an_error(analytics):
    with pytest.raises(ValueError, match="metric"):
        analytics.count("clicks", "vi")


def test_days_are_vietnamese_days_and_the_window_is_bounded(analytics, clock):
    clock.at = datetime(2025, 3, 3, 17, 30, tzinfo=timezone.utc)  # 00:30 on 4 March in Vietnam
    analytics.count("message", "en")
    analytics.count("message", "en", day=date(2025, 2, 20))
    assert [(r.day, r.message) for r in analytics.table(days=1)] == [("2025-03-04", 1)]
    assert [(r.day, r.message) for r in analytics.table(days=30)] == [("2025-03-04", 1), ("2025-02-20", 1)]


def test_concurrent_counting_loses_nothing(tmp_path, clock):
    path = tmp_path / "frontend.db"
    Analytics(connect(path), clock)  # migrate once before the race
    workers, each = 4, 50
    barrier = threading.Barrier(workers)

    def bump() -> None:
        own = Analytics(connect(path), clock)  # one connection per thread
        barrier.wait()
        for _ in range(each):
            own.count("message", "vi")

    threads = [threading.Thread(target=bump) for _ in range(workers)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(60)
    assert Analytics(connect(path), clock).table()[0].message == workers * each


def test_stats_command(tmp_path, monkeypatch):
    db = tmp_path / "frontend.db"
    monkeypatch.setenv("THUTUC_FRONTEND_DB", str(db))
    runner = CliRunner()
    result = runner.invoke(app, ["stats", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == [] and not db.exists()  # reading does not create the database
    a = Analytics(connect(db))
    a.count("message", "ja", n=4)
    a.count("handoff", "ja")
    result = runner.invoke(app, ["stats", "--json", "--days", "2"])
    assert result.exit_code == 0, result.output
    (row,) = json.loads(result.stdout)
    assert row["lang"] == "ja" and row["message"] == 4 and row["handoff"] == 1
    assert set(METRICS) <= set(row)
    result = runner.invoke(app, ["stats"])
    assert result.exit_code == 0, result.output
    assert "low_confidence" in result.stdout and "ja" in result.stdout and "total" in result.stdout
    bad = runner.invoke(app, ["stats", "--days", "0"])
    assert bad.exit_code != 0
