"""A small parser for the 5-field cron expressions of backup schedules (plus @daily and friends), so that
`tempoctl validate` can reject a schedule offline before it reaches a crontab or a systemd timer.

Accepts what Vixie cron accepts: `*`, numbers, ranges `a-b`, steps `*/n`, `a-b/n` and `a/n`, lists `a,b`, and
three-letter month and weekday names (JAN, MON). Day of week 0-7 (0 and 7 are Sunday).
"""

from __future__ import annotations

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
    text = expr.strip()
    if text.startswith("@"):
        if text.lower() in MACROS:
            return None
        if text.lower() == "@reboot":
            return "@reboot is not a schedule: a backup needs a time"
        return f"unknown cron macro {text!r} (expected one of: {', '.join(MACROS)})"
    parts = text.split()
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
        if slash and not (step.isdigit() and int(step) > 0):
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
    if text.isdigit():
        return int(text)
    return names.get(text.upper())
