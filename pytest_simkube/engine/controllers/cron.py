"""Cron schedules as CronJobs use them: robfig/cron v3's standard parser.

Upstream: kubernetes/kubernetes pkg/controller/cronjob/utils.go uses
``cron.ParseStandard`` (github.com/robfig/cron/v3 parser.go, spec.go): five fields
``minute hour day-of-month month day-of-week``, each ``*``/``?``, numbers, names (JAN-DEC,
SUN-SAT), ranges ``a-b``, steps ``/n`` and lists; descriptors ``@yearly @annually @monthly
@weekly @daily @midnight @hourly`` and ``@every <duration>``; an optional ``TZ=``/``CRON_TZ=``
prefix. Day matching follows ``dayMatches``: if either day field is ``*`` both must match,
otherwise either may. ``next`` walks month -> day -> hour -> minute like ``SpecSchedule.Next``.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

MONTHS = {m: i for i, m in enumerate(
    ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"], start=1)}
DAYS = {d: i for i, d in enumerate(["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"])}
DESCRIPTORS = {
    "@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0", "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *",
}
_DURATION = re.compile(r"(\d+(?:\.\d+)?)(h|m|s|ms)")


class CronError(ValueError):
    """An invalid schedule; the message says which field."""


@dataclass(frozen=True)
class CronSchedule:
    minutes: frozenset[int]
    hours: frozenset[int]
    dom: frozenset[int]
    months: frozenset[int]
    dow: frozenset[int]
    dom_star: bool
    dow_star: bool
    every: float | None = None
    tz: str = "UTC"

    def _day_ok(self, day: dt.datetime) -> bool:
        dom_ok = day.day in self.dom
        dow_ok = (day.isoweekday() % 7) in self.dow
        if self.dom_star or self.dow_star:
            return dom_ok and dow_ok
        return dom_ok or dow_ok

    def next_after(self, epoch: float) -> float | None:
        """The first activation strictly after ``epoch`` (Unix seconds), None if none in 5 years."""
        if self.every is not None:
            return float(int(epoch) + self.every)
        tz = _zone(self.tz)
        t = dt.datetime.fromtimestamp(int(epoch) // 60 * 60 + 60, tz)
        limit = t.year + 5
        while t.year <= limit:
            if t.month not in self.months:
                t = (t.replace(day=1, hour=0, minute=0) + dt.timedelta(days=32)).replace(day=1)
                continue
            if not self._day_ok(t):
                t = (t + dt.timedelta(days=1)).replace(hour=0, minute=0)
                continue
            if t.hour not in self.hours:
                t = (t + dt.timedelta(hours=1)).replace(minute=0)
                continue
            if t.minute not in self.minutes:
                t = t + dt.timedelta(minutes=1)
                continue
            return t.timestamp()
        return None


def _zone(name: str) -> dt.tzinfo:
    if name in ("UTC", "Etc/UTC", ""):
        return dt.UTC
    try:
        from zoneinfo import ZoneInfo

        return ZoneInfo(name)
    except Exception as exc:
        raise CronError(f"unknown time zone {name!r}") from exc


def _value(text: str, names: dict[str, int], field: str) -> int:
    upper = text.upper()
    if upper in names:
        return names[upper]
    if not text.isdigit():
        raise CronError(f"{field}: {text!r} is not a number")
    return int(text)


def _field(text: str, low: int, high: int, names: dict[str, int], field: str) -> tuple[frozenset[int], bool]:
    values: set[int] = set()
    star = False
    for part in text.split(","):
        rng, _, step_text = part.partition("/")
        step = 1
        if step_text:
            if not step_text.isdigit() or int(step_text) == 0:
                raise CronError(f"{field}: bad step {step_text!r}")
            step = int(step_text)
        if rng in ("*", "?"):
            start, end = low, high
            star = star or not step_text
        elif "-" in rng:
            a, b = rng.split("-", 1)
            start, end = _value(a, names, field), _value(b, names, field)
        else:
            start = _value(rng, names, field)
            end = high if step_text else start
        if start < low or end > high or start > end:
            raise CronError(f"{field}: {part!r} out of range {low}-{high}")
        values.update(range(start, end + 1, step))
    return frozenset(values), star


def parse_duration(text: str) -> float:
    """Go ``time.ParseDuration`` for the units cron's ``@every`` uses."""
    pos, total = 0, 0.0
    for match in _DURATION.finditer(text):
        if match.start() != pos:
            break
        number, unit = float(match.group(1)), match.group(2)
        total += number * {"h": 3600, "m": 60, "s": 1, "ms": 0.001}[unit]
        pos = match.end()
    if pos != len(text) or not text:
        raise CronError(f"invalid duration {text!r}")
    return total


def parse_schedule(text: str, time_zone: str | None = None) -> CronSchedule:
    spec = text.strip()
    tz = time_zone or "UTC"
    if spec.startswith(("TZ=", "CRON_TZ=")):
        prefix, _, spec = spec.partition(" ")
        tz = prefix.split("=", 1)[1]
        spec = spec.strip()
    if spec.startswith("@every "):
        seconds = parse_duration(spec[len("@every "):].strip())
        if seconds < 1:
            seconds = 1.0
        full = frozenset()
        return CronSchedule(full, full, full, full, full, True, True, every=float(int(seconds)), tz=tz)
    spec = DESCRIPTORS.get(spec, spec)
    fields = spec.split()
    if len(fields) != 5:
        raise CronError(f"expected exactly 5 fields, found {len(fields)}: {text!r}")
    minutes, _ = _field(fields[0], 0, 59, {}, "minute")
    hours, _ = _field(fields[1], 0, 23, {}, "hour")
    dom, dom_star = _field(fields[2], 1, 31, {}, "day-of-month")
    months, _ = _field(fields[3], 1, 12, MONTHS, "month")
    dow, dow_star = _field(fields[4], 0, 7, DAYS, "day-of-week")
    if 7 in dow:
        dow = frozenset((dow - {7}) | {0})
    _zone(tz)
    return CronSchedule(minutes, hours, dom, months, dow, dom_star, dow_star, tz=tz)
