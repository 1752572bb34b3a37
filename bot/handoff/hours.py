"""The centre's working hours, as set by the operator in `data/office.yml`.

`hours: null` means the project does not know them: `is_open` and `next_open` then answer None and
the assistant says so rather than guessing. A weekday missing from a known `hours` table is closed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

__all__ = ["OfficeConfigError", "OfficeHours", "WEEKDAYS"]

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DEFAULT_TZ = "Asia/Ho_Chi_Minh"
_RANGE = re.compile(r"\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*")


class OfficeConfigError(ValueError):
    """data/office.yml has hours, holidays or a timezone that cannot be read."""


def _parse_range(text: str, day: str) -> tuple[time, time]:
    m = _RANGE.fullmatch(str(text))
    if not m:
        raise OfficeConfigError(f"hours.{day}: {text!r} is not a range like 07:00-11:30")
    h1, m1, h2, m2 = (int(g) for g in m.groups())
    try:
        start, end = time(h1, m1), time(h2, m2)
    except ValueError:
        raise OfficeConfigError(f"hours.{day}: {text!r} is not a valid time range") from None
    if start >= end:
        raise OfficeConfigError(f"hours.{day}: {text!r} ends before it starts")
    return start, end


@dataclass(frozen=True)
class OfficeHours:
    #: weekday (0 = Monday) → opening ranges; None = hours not known.
    week: tuple[tuple[tuple[time, time], ...], ...] | None
    holidays: frozenset[date]
    tz: ZoneInfo

    @classmethod
    def unknown(cls, tz: str = DEFAULT_TZ) -> "OfficeHours":
        return cls(None, frozenset(), ZoneInfo(tz))

    @classmethod
    def from_mapping(cls, data: dict | None) -> "OfficeHours":
        data = data or {}
        try:
            tz = ZoneInfo(data.get("timezone") or DEFAULT_TZ)
        except (ZoneInfoNotFoundError, ValueError):
            raise OfficeConfigError(f"timezone: {data.get('timezone')!r} is not a known time zone") from None
        holidays = set()
        for item in data.get("holidays") or []:
            try:
                holidays.add(item if isinstance(item, date) else date.fromisoformat(str(item)))
            except ValueError:
                raise OfficeConfigError(f"holidays: {item!r} is not an ISO date (YYYY-MM-DD)") from None
        raw = data.get("hours")
        if raw is None:
            return cls(None, frozenset(holidays), tz)
        if not isinstance(raw, dict):
            raise OfficeConfigError("hours must be null or a mapping of weekday (mon..sun) to ranges")
        unknown_days = set(map(str, raw)) - set(WEEKDAYS)
        if unknown_days:
            raise OfficeConfigError(f"hours: unknown weekday(s) {sorted(unknown_days)}; use mon..sun")
        week = []
        for day in WEEKDAYS:
            ranges = raw.get(day) or []
            if isinstance(ranges, str):
                ranges = [ranges]
            week.append(tuple(sorted(_parse_range(r, day) for r in ranges)))
        return cls(tuple(week), frozenset(holidays), tz)

    @classmethod
    def from_file(cls, path: Path) -> "OfficeHours":
        """Hours from the office file; a missing file means nothing is known."""
        path = Path(path)
        if not path.exists():
            return cls.unknown()
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as e:
            raise OfficeConfigError(f"{path}: not valid YAML ({e})") from None
        return cls.from_mapping(data if isinstance(data, dict) else {})

    @property
    def known(self) -> bool:
        return self.week is not None

    def _local(self, at: datetime) -> datetime:
        # A naive datetime is taken as UTC: the project's clocks are UTC.
        return (at if at.tzinfo else at.replace(tzinfo=timezone.utc)).astimezone(self.tz)

    def _ranges(self, day: date) -> tuple[tuple[time, time], ...]:
        if self.week is None or day in self.holidays:
            return ()
        return self.week[day.weekday()]

    def is_open(self, at: datetime) -> bool | None:
        """True while staff are at work, False outside hours, None when the hours are not known."""
        if self.week is None:
            return None
        local = self._local(at)
        now = local.time().replace(tzinfo=None)
        return any(start <= now < end for start, end in self._ranges(local.date()))

    def next_open(self, at: datetime) -> datetime | None:
        """When staff are next at work (`at` itself while open), in the office's time zone; None when
        the hours are unknown or no day of the coming year has any."""
        if self.week is None:
            return None
        local = self._local(at)
        if self.is_open(at):
            return local
        for offset in range(0, 370):
            day = local.date() + timedelta(days=offset)
            for start, _end in self._ranges(day):
                candidate = datetime.combine(day, start, tzinfo=self.tz)
                if candidate > local:
                    return candidate
        return None
