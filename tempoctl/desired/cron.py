"""A small parser for the 5-field cron expressions of backup schedules (plus @daily and friends), so that
`tempoctl validate` can reject a schedule offline before it reaches a crontab or a systemd timer.

Accepts what Vixie cron accepts: `*`, numbers, ranges `a-b`, steps `*/n`, `a-b/n` and `a/n`, lists `a,b`, and
three-letter month and weekday names (JAN, MON). Day of week 0-7 (0 and 7 are Sunday).
"""

from __future__ import annotations

import re

# ASCII digits only: str.isdigit() also accepts "²" and "٣", which int() then rejects or reads differently
# from cron (a crash at validate, or a schedule cron would refuse).
_NUMBER = re.compile(r"[0-9]{1,4}")

MACROS = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}

_MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
_DAYS = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]
_FIELDS: tuple[tuple[str, int, int, dict[str, int]], ...] = (
    ("minute", 0, 59, {}),
    ("hour", 0, 23, {}),
    ("day of month", 1, 31, {}),
    ("month", 1, 12, {n: i + 1 for i, n in enumerate(_MONTHS)}),
    ("day of week", 0, 7, {n: i for i, n in enumerate(_DAYS)}),
)


def cron_error(expr: str) -> str | None:
    """None when `expr` is a valid schedule, else what is wrong with it in operator words."""
    if any(not (" " <= ch <= "~") and ch != "\t" for ch in expr):
        return "a schedule is printable ASCII on one line (a newline would start another crontab entry)"
    text = expr.strip(" \t")
    if text.startswith("@"):
        if text.lower() in MACROS:
            return None
        if text.lower() == "@reboot":
            return "@reboot is not a schedule: a backup needs a time"
        return f"unknown cron macro {text!r} (expected one of: {', '.join(MACROS)})"
    parts = text.split()  # only spaces and tabs remain (checked above)
    if len(parts) != 5:
        return f"expected 5 cron fields (minute hour day-of-month month day-of-week), got {len(parts)}"
    for part, (name, lo, hi, names) in zip(parts, _FIELDS, strict=True):
        problem = _field_error(part, lo, hi, names)
        if problem:
            return f"{name} field {part!r}: {problem}"
    return None


def _field_error(part: str, lo: int, hi: int, names: dict[str, int]) -> str | None:
    for item in part.split(","):
        if not item:
            return "empty list item"
        rng, slash, step = item.partition("/")
        if slash and not (_NUMBER.fullmatch(step) and int(step) > 0):
            return f"step {step!r} is not a positive number"
        if rng == "*":
            continue
        start, dash, end = rng.partition("-")
        a = _value(start, names)
        b = _value(end, names) if dash else a
        if a is None or b is None:
            return f"{rng!r} is not a number{' or name' if names else ''}"
        if not (lo <= a <= hi and lo <= b <= hi):
            return f"{rng!r} is out of range {lo}-{hi}"
        if a > b:
            return f"range {rng!r} runs backwards"
    return None


def _value(text: str, names: dict[str, int]) -> int | None:
    if _NUMBER.fullmatch(text):
        return int(text)
    return names.get(text.upper())


_DOW_NAMES = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]


def to_on_calendar(expr: str) -> str:
    """The systemd `OnCalendar=` of a valid cron schedule (`0 2 * * *` → `*-*-* 02:00:00`).

    Raises ValueError, in operator words, for what a timer cannot say the same way: a step over a range
    (`1-10/2`), or both day-of-month and day-of-week restricted (cron runs on either, systemd on both)."""
    text = MACROS.get(expr.strip().lower(), expr.strip())
    minute, hour, dom, month, dow = text.split()
    if dom != "*" and dow != "*":
        raise ValueError("a timer cannot run on day-of-month OR day-of-week like cron does; restrict only one")
    names = {n: i + 1 for i, n in enumerate(_MONTHS)}
    parts = {
        "minute": _calendar_field(minute, 0, {}, 2),
        "hour": _calendar_field(hour, 0, {}, 2),
        "dom": _calendar_field(dom, 1, {}, 2),
        "month": _calendar_field(month, 1, names, 2),
    }
    weekday = "" if dow == "*" else _weekdays(dow) + " "
    return f"{weekday}*-{parts['month']}-{parts['dom']} {parts['hour']}:{parts['minute']}:00"


def _calendar_field(part: str, lo: int, names: dict[str, int], width: int) -> str:
    out = []
    for item in part.split(","):
        rng, slash, step = item.partition("/")
        if rng == "*":
            out.append(f"{lo:0{width}d}/{step}" if slash else "*")
            continue
        start, dash, end = rng.partition("-")
        a = _value(start, names)
        b = _value(end, names) if dash else None
        if a is None or (dash and b is None):
            raise ValueError(f"{item!r} cannot be converted")
        if dash and slash:
            raise ValueError(f"{item!r}: a timer has no step over a range; list the values instead")
        text = f"{a:0{width}d}" + (f"..{b:0{width}d}" if dash and b is not None else "")
        out.append(text + (f"/{step}" if slash else ""))
    return ",".join(out)


def _weekdays(part: str) -> str:
    names = {n: i for i, n in enumerate(_DAYS)}
    out = []
    for item in part.split(","):
        if "/" in item:
            raise ValueError(f"day of week {item!r}: a timer has no step over weekdays; list them instead")
        start, dash, end = item.partition("-")
        a, b = _value(start, names), _value(end, names) if dash else None
        if a is None or (dash and b is None):
            raise ValueError(f"day of week {item!r} cannot be converted")
        out.append(_DOW_NAMES[a] + (f"..{_DOW_NAMES[b]}" if dash and b is not None else ""))
    return ",".join(dict.fromkeys(out))  # 0 and 7 are both Sunday
