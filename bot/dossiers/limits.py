"""Abuse limits on verification: failed attempts per user and per dossier code in sliding windows.

At most `max_failures` failed verifications per user in `user_window` and per dossier code in
`code_window`; past that every lookup by that user, or of that code, is refused until enough
failures leave the window (a correct answer does not get through a lock). Codes that do not exist
count exactly like codes that do. The functions run inside the caller's `BEGIN IMMEDIATE`
transaction, so concurrent attempts cannot both slip under the limit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta

import sqlite_utils

from . import store

USER = "user"
CODE = "code"


@dataclass(frozen=True)
class RateLimits:
    max_failures: int = 5
    user_window: timedelta = timedelta(minutes=15)
    code_window: timedelta = timedelta(hours=1)

    @property
    def longest(self) -> timedelta:
        return max(self.user_window, self.code_window)


@dataclass(frozen=True)
class Lock:
    scope: str  # "user" or "code"
    retry_after_s: int


def _lock_for(db: sqlite_utils.Database, limits: RateLimits, scope: str, key: str, window: timedelta,
              now: float) -> Lock | None:
    times = store.failures_since(db, scope, key, now - window.total_seconds())
    if len(times) < limits.max_failures:
        return None
    # The lock lifts when the failure that makes the count reach the limit leaves the window.
    pivot = times[len(times) - limits.max_failures]
    return Lock(scope, max(1, math.ceil(pivot + window.total_seconds() - now)))


def check(db: sqlite_utils.Database, limits: RateLimits, user_key: str, code_key: str, now: float) -> Lock | None:
    """The lock in force for this user or this code, the longer one if both."""
    locks = [lk for lk in (
        _lock_for(db, limits, USER, user_key, limits.user_window, now),
        _lock_for(db, limits, CODE, code_key, limits.code_window, now),
    ) if lk]
    return max(locks, key=lambda lk: lk.retry_after_s) if locks else None


def record_failure(db: sqlite_utils.Database, limits: RateLimits, user_key: str, code_key: str, now: float) -> None:
    store.add_failure(db, USER, user_key, now)
    store.add_failure(db, CODE, code_key, now)
    store.prune_failures(db, now - limits.longest.total_seconds())
