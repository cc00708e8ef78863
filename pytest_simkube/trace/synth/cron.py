"""CronJob schedules: parsing and the run times kube-controller-manager would produce.

Kubernetes validates and evaluates ``spec.schedule`` with robfig/cron v3's
``ParseStandard`` (kubernetes ``pkg/apis/batch/validation``, ``pkg/controller/cronjob/utils.go``),
so this follows robfig/cron ``parser.go`` / ``spec.go``: five fields (minute hour
day-of-month month day-of-week), ``*``/``?``, ranges ``a-b``, steps ``*/n`` / ``a-b/n`` /
``a/n`` (= ``a-max/n``), lists, month and weekday names, the descriptors ``@yearly``,
``@annually``, ``@monthly``, ``@weekly``, ``@daily``, ``@midnight``, ``@hourly`` and
``@every <duration>``. Day matching: when either day field starts with ``*`` or ``?``
both must match, otherwise either may (robfig ``dayMatches``). Runs are strictly after
the CronJob's creation (the controller's ``Next(t)`` is always later than ``t``).
Schedules are evaluated in UTC; ``spec.timeZone`` is not modelled.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pytest_simkube.kube.duration import parse_duration

_MONTH_NAMES = {name: i + 1 for i, name in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"))}
_DOW_NAMES = {name: i for i, name in enumerate(("sun", "mon", "tue", "wed", "thu", "fri", "sat"))}
# (min, max, names) per field, robfig/cron spec.go bounds.
_FIELDS = (
    ("minute", 0, 59, {}),
    ("hour", 0, 23, {}),
    ("day of month", 1, 31, {}),
    ("month", 1, 12, _MONTH_NAMES),
    ("day of week", 0, 6, _DOW_NAMES),
)
_DESCRIPTORS = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}


@dataclass(frozen=True, slots=True)
class CronSchedule:
    """A parsed schedule: allowed values per field, or a constant ``@every`` interval."""

    text: str
    minutes: frozenset[int] = frozenset()
    hours: frozenset[int] = frozenset()
    days_of_month: frozenset[int] = frozenset()
    months: frozenset[int] = frozenset()
    days_of_week: frozenset[int] = frozenset()
    dom_star: bool = False
    dow_star: bool = False
    every_seconds: int | None = None

    def run_times(self, created_ts: int, end_ts: int) -> np.ndarray:
        """Unix seconds of every scheduled run in ``(created_ts, end_ts)``, ascending."""
        if self.every_seconds is not None:
            # robfig ConstantDelaySchedule.Next: t + delay, rounded down to the second.
            return np.arange(created_ts + self.every_seconds, end_ts, self.every_seconds, dtype=np.int64)
        first_minute = created_ts // 60 + 1
        last_minute = (end_ts - 1) // 60
        if last_minute < first_minute:
            return np.empty(0, dtype=np.int64)
        minute_index = np.arange(first_minute, last_minute + 1, dtype=np.int64)
        days = (minute_index // 1440).astype("datetime64[D]")
        month_start = days.astype("datetime64[M]")
        minute = minute_index % 60
        hour = (minute_index // 60) % 24
        month = month_start.astype(np.int64) % 12 + 1
        dom = (days - month_start.astype("datetime64[D]")).astype(np.int64) + 1
        dow = (days.astype(np.int64) + 4) % 7  # 1970-01-01 was a Thursday
        mask = _isin(minute, self.minutes) & _isin(hour, self.hours) & _isin(month, self.months)
        dom_match = _isin(dom, self.days_of_month)
        dow_match = _isin(dow, self.days_of_week)
        mask &= (dom_match & dow_match) if (self.dom_star or self.dow_star) else (dom_match | dow_match)
        return minute_index[mask] * 60


def _isin(values: np.ndarray, allowed: frozenset[int]) -> np.ndarray:
    return np.isin(values, np.fromiter(allowed, dtype=np.int64, count=len(allowed)))


def parse_cron(text: str) -> CronSchedule:
    """Parse a CronJob schedule; ValueError says what is wrong, as robfig/cron would."""
    if not isinstance(text, str):
        raise ValueError(f"a schedule is a string such as '*/15 * * * *', got {type(text).__name__}")
    spec = text.strip()
    if spec.startswith(("TZ=", "CRON_TZ=")):
        # Kubernetes rejects these since 1.27 (validation: use spec.timeZone instead).
        raise ValueError("TZ= and CRON_TZ= are not allowed in a CronJob schedule")
    if spec.startswith("@"):
        if spec.startswith("@every "):
            seconds = parse_duration(spec[len("@every "):].strip())
            if seconds < 1:
                raise ValueError(f"@every interval must be at least 1s in {text!r}")
            return CronSchedule(text=text, every_seconds=int(seconds))
        if spec not in _DESCRIPTORS:
            raise ValueError(f"unrecognized descriptor: {spec}")
        spec = _DESCRIPTORS[spec]
    fields = spec.split()
    if len(fields) != 5:
        raise ValueError(f"expected exactly 5 fields (minute hour day-of-month month day-of-week), "
                         f"found {len(fields)}: {text!r}")
    parsed: list[frozenset[int]] = []
    stars: list[bool] = []
    for field, (name, low, high, names) in zip(fields, _FIELDS, strict=True):
        values: set[int] = set()
        star = False
        for part in field.split(","):
            part_values, part_star = _parse_range(part, low, high, names, name)
            values |= part_values
            star = star or part_star
        parsed.append(frozenset(values))
        stars.append(star)
    return CronSchedule(
        text=text,
        minutes=parsed[0],
        hours=parsed[1],
        days_of_month=parsed[2],
        months=parsed[3],
        days_of_week=parsed[4],
        dom_star=stars[2],
        dow_star=stars[4],
    )


def _parse_range(expr: str, low: int, high: int, names: dict[str, int], field: str) -> tuple[set[int], bool]:
    """robfig/cron ``getRange``: one comma-separated part of a field."""
    range_and_step = expr.split("/")
    low_and_high = range_and_step[0].split("-")
    single = len(low_and_high) == 1
    star = False
    if low_and_high[0] in ("*", "?"):
        start, end, star = low, high, True
    else:
        start = _int_or_name(low_and_high[0], names, field)
        if len(low_and_high) == 1:
            end = start
        elif len(low_and_high) == 2:
            end = _int_or_name(low_and_high[1], names, field)
        else:
            raise ValueError(f"too many hyphens: {expr}")
    if len(range_and_step) == 1:
        step = 1
    elif len(range_and_step) == 2:
        step = _int_or_name(range_and_step[1], {}, field)
        if single:
            end = high  # "N/step" means "N-max/step"
        if step > 1:
            star = False
    else:
        raise ValueError(f"too many slashes: {expr}")
    if start < low:
        raise ValueError(f"beginning of range ({start}) below minimum ({low}) in {field}: {expr}")
    if end > high:
        raise ValueError(f"end of range ({end}) above maximum ({high}) in {field}: {expr}")
    if start > end:
        raise ValueError(f"beginning of range ({start}) beyond end of range ({end}) in {field}: {expr}")
    if step == 0:
        raise ValueError(f"step of range should be a positive number: {expr}")
    return set(range(start, end + 1, step)), star


def _int_or_name(text: str, names: dict[str, int], field: str) -> int:
    if text.lower() in names:
        return names[text.lower()]
    if not text.isdigit():
        raise ValueError(f"failed to parse int from {text!r} in {field}")
    return int(text)
