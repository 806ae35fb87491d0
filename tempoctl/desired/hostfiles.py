"""Validation of managed host files (`hosts.<h>.files`): what may be written as a file's whole content.

The content is shown in the plan line by line and written as is; a control character other than newline and
tab would be a terminal escape in a reviewer's plan (or a bidi trick hiding a line), and NUL never belongs
in a text file, so both are refused with file:line:col. Big files belong in a package, not in YAML.
"""

from __future__ import annotations

from tempoctl.safetext import describe_control, find_control

MAX_CONTENT = 1 << 20


def content_error(content: str) -> str | None:
    if len(content.encode()) > MAX_CONTENT:
        return f"content is over {MAX_CONTENT // 1024} KiB: ship a file that big as a package"
    for line_no, line in enumerate(content.split("\n"), 1):
        found = find_control(line, allow_newline=True)
        if found is not None:
            return (f"content line {line_no} holds a control character ({describe_control(line[found])}); "
                    "only newlines and tabs may")
    return None


def mode_error(mode: str | None, noun: str, consequence: str) -> str | None:
    """A file tempoctl writes on a host (a managed file, an env file) is never world-writable (anyone on the host
    could change it) and never setuid/setgid/sticky; `noun` and `consequence` say what that file is and why."""
    if mode is None:
        return None
    bits = int(mode, 8)
    if bits & 0o7000:
        return f"mode {mode} sets setuid, setgid or sticky bits, which {noun} never needs"
    if bits & 0o002:
        return f"mode {mode} makes the {consequence}"
    return None


def file_mode_error(mode: str | None) -> str | None:
    return mode_error(mode, "a managed file", "file world-writable: anyone on the host could change it")
