"""Host facts as one command plus pure parsers (pyinfra's facts): what the hosts source runs on a host and
how its output becomes observed values.

A host is read with ONE command per run (`read_script`): `systemctl show` for each declared unit, the
process list (for `single_instance`), and every managed env file with its owner and mode. The parsers
below are pure and tested on recorded output; the end-to-end tests run the script against sshd.

Why the output is framed out of band: a process name and a file's content are chosen by whoever runs the
process or writes the file, so no line they can print may steer the parser. Every piece of output is a
section `KIND INDEX STATUS LENGTH\n` followed by exactly LENGTH raw bytes and a newline; the parser takes
the bytes by count, never by looking for a marker inside them. Each unit is shown by its own `systemctl
show` call and matched by its index *and* by the `Id`/`Names` systemd reports, never by position in a
shared listing.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field

from tempoctl.desired.envgrammar import key_error, render, value_error
from tempoctl.errors import TempoctlError
from tempoctl.observed.host.units import AUTO_RESTART_SUBS, UnitStateError, check_values, unit_name

# Type..ExecMainExitTimestampMonotonic tell a oneshot that ran and exited 0 from one that never ran;
# NRestarts and MainPID tell a unit that stays up from one systemd keeps restarting (src/core/service.c).
SHOW_PROPERTIES = ("Id,Names,LoadState,ActiveState,SubState,UnitFileState,MainPID,ExecStart,Type,RemainAfterExit,"
                   "Result,NRestarts,ExecMainExitTimestampMonotonic")

# Prints one section: kind, index, the command's exit status, the byte count, then the bytes.
_EMIT = """emit() { printf '%s %s %s %s\\n' "$1" "$2" "$3" "$(wc -c < "$4" | tr -d ' ')"; cat -- "$4"; echo; }"""


class FactsError(TempoctlError):
    """The host's reply is not what `read_script` prints (truncated, or a command failed)."""


@dataclass(frozen=True)
class UnitFacts:
    """One unit as `systemctl show` reports it. `argv` is the first ExecStart command line ('' if unknown)."""

    load: str
    active: str
    sub: str
    unit_file: str
    main_pid: int
    argv: str = ""
    id: str = ""
    names: tuple[str, ...] = ()
    type: str = ""
    remain_after_exit: bool = False
    result: str = ""
    n_restarts: int = 0
    exit_monotonic: int = 0

    @property
    def ran_once(self) -> bool:
        """A Type=oneshot unit without RemainAfterExit that ran and exited 0: systemd leaves it
        inactive/dead with Result=success (src/core/service.c, `service_enter_running`); the exit timestamp
        tells it from one that never ran since boot."""
        return (self.type == "oneshot" and not self.remain_after_exit and self.active == "inactive"
                and self.result == "success" and self.exit_monotonic > 0)

    @property
    def state(self) -> str:
        """The operator's word for it, from systemd's documented values (tempoctl.observed.host.units):
        running | stopped | failed | starting | stopping | restarting | done | masked | broken | maintenance |
        missing. Raises UnitStateError for a value systemd does not document."""
        name = self.id or "unit"
        check_values(self.load, self.active, self.sub, self.unit_file, name)
        if self.load == "not-found":
            return "missing"
        if self.load == "masked" or self.unit_file in ("masked", "masked-runtime"):
            return "masked"
        if self.load in ("bad-setting", "error") or self.unit_file == "bad":
            return "broken"
        if self.load in ("stub", "merged"):
            raise UnitStateError(f"unit {name}: systemd reported the transitional LoadState={self.load}",
                                 hint="Run the command again once systemd has loaded the unit.")
        if self.sub in AUTO_RESTART_SUBS:
            return "restarting"  # Restart= is about to start it again: it crashed, whatever ActiveState says
        return {
            "active": "running", "reloading": "running", "refreshing": "running",
            "activating": "starting", "deactivating": "stopping", "failed": "failed",
            "maintenance": "maintenance",
            "inactive": "done" if self.ran_once else "stopped",
        }[self.active]

    @property
    def enabled(self) -> bool | str | None:
        """True when enabled persistently; "runtime" for `enabled-runtime` (gone at the next reboot); False
        for disabled, linked and masked units; None where enabling does not apply (static, indirect,
        generated, transient, alias: src/shared/install.c) or the unit has no unit file."""
        table: dict[str, bool | str] = {
            "enabled": True, "enabled-runtime": "runtime",
            "disabled": False, "linked": False, "linked-runtime": False,
            "masked": False, "masked-runtime": False,
        }
        return table.get(self.unit_file)


@dataclass(frozen=True)
class FileFacts:
    """A file as read from a host: None content when absent."""

    content: bytes | None
    owner: str = ""
    mode: str = ""


@dataclass
class HostFacts:
    units: dict[str, UnitFacts] = field(default_factory=dict)
    processes: list[str] = field(default_factory=list)
    processes_error: str = ""
    files: dict[str, FileFacts] = field(default_factory=dict)


def read_script(units: list[str], paths: list[str]) -> list[str]:
    """The argv (`sh -c …`) that prints every fact the host's plan needs, in sections `parse_read` splits.

    Every operand follows `--`; output goes through a private temp dir so each section's length is known
    before its bytes are printed."""
    lines = ["d=$(mktemp -d) || exit 70", "trap 'rm -rf -- \"$d\"' EXIT", _EMIT]
    for i, unit in enumerate(units):
        lines.append(f"systemctl show -p {SHOW_PROPERTIES} -- {shlex.quote(unit_name(unit))} >\"$d/o\" 2>&1; "
                     f"emit unit {i} $? \"$d/o\"")
    if units:
        lines.append('ps -eo args= >"$d/o" 2>&1; emit processes 0 $? "$d/o"')
    for i, path in enumerate(paths):
        q = shlex.quote(path)
        lines.append(
            f"if [ -e {q} ]; then stat -c '%U:%G %a' -- {q} >\"$d/m\" 2>&1; emit stat {i} $? \"$d/m\"; "
            f"cat -- {q} >\"$d/o\" 2>&1; emit file {i} $? \"$d/o\"; "
            f"else : >\"$d/o\"; emit absent {i} 0 \"$d/o\"; fi"
        )
    return ["sh", "-c", "\n".join(lines)]


def split_sections(data: bytes) -> list[tuple[str, int, int, bytes]]:
    """`(kind, index, status, payload)` for each section of `read_script` output; FactsError if the reply
    is not exactly a sequence of well-formed sections (a truncated reply is never half-used)."""
    out = []
    pos = 0
    while pos < len(data):
        nl = data.find(b"\n", pos)
        fields = data[pos:nl].decode("ascii", "replace").split(" ") if nl >= 0 else []
        if len(fields) != 4 or not all(f.isdigit() for f in fields[1:]) or not fields[0].isalpha():
            raise FactsError(f"unexpected reply from the host at byte {pos}",
                             hint="The host's `sh` printed something tempoctl's read script does not (a login "
                                  "banner in a shell rc file?).")
        kind, index, status, length = fields[0], int(fields[1]), int(fields[2]), int(fields[3])
        end = nl + 1 + length
        if end >= len(data) or data[end:end + 1] != b"\n":
            raise FactsError(f"truncated reply from the host (section {kind} {index})")
        out.append((kind, index, status, data[nl + 1:end]))
        pos = end + 1
    return out


def parse_read(data: bytes | str, units: list[str], paths: list[str]) -> HostFacts:
    """Split `read_script` output into unit, process and file facts, each matched by its index."""
    raw = data.encode() if isinstance(data, str) else data
    facts = HostFacts()
    stats: dict[int, str] = {}
    for kind, index, status, payload in split_sections(raw):
        text = payload.decode("utf-8", "replace")
        if kind == "unit" and index < len(units):
            if status != 0:  # systemctl show exits 0 even for a unit it does not know
                raise FactsError(f"systemctl show failed for {unit_name(units[index])} (exit {status})",
                                 detail="\n".join(text.strip().splitlines()[-5:]))
            facts.units[units[index]] = parse_unit(text, unit_name(units[index]))
        elif kind == "processes":
            if status != 0:  # only single_instance needs the list: it says so if it cannot have it
                facts.processes_error = "\n".join(text.strip().splitlines()[-3:]) or f"ps exited {status}"
            else:
                facts.processes = [p.strip() for p in text.split("\n") if p.strip()]
        elif kind == "stat" and index < len(paths):
            if status != 0:
                raise FactsError(f"cannot stat {paths[index]}", detail=text.strip())
            stats[index] = text.strip()
        elif kind == "file" and index < len(paths):
            if status != 0:
                raise FactsError(f"cannot read {paths[index]}", detail=text.strip())
            owner, _, mode = stats.get(index, "").partition(" ")
            facts.files[paths[index]] = FileFacts(payload, owner, mode.zfill(4))
        elif kind == "absent" and index < len(paths):
            facts.files[paths[index]] = FileFacts(None)
        else:
            raise FactsError(f"unexpected section {kind} {index} in the host's reply")
    missing = [u for u in units if u not in facts.units] + [p for p in paths if p not in facts.files]
    if missing:
        raise FactsError(f"the host's reply has no facts for {', '.join(missing)}")
    return facts


_ARGV = re.compile(r"argv\[\]=(.*?) ;")


def _props(block: str) -> dict[str, str]:
    props: dict[str, str] = {}
    for line in block.splitlines():
        key, sep, value = line.partition("=")
        if sep and key not in props:  # ExecStart repeats once per command: the first is the main one
            props[key] = value
    return props


def _unit(props: dict[str, str]) -> UnitFacts:
    argv = _ARGV.search(props.get("ExecStart", ""))

    def num(key: str) -> int:
        v = props.get(key, "")
        return int(v) if v.isdigit() else 0

    return UnitFacts(
        load=props.get("LoadState", ""), active=props.get("ActiveState", ""), sub=props.get("SubState", ""),
        unit_file=props.get("UnitFileState", ""), main_pid=num("MainPID"),
        argv=argv.group(1).strip() if argv else "", id=props.get("Id", ""),
        names=tuple(props.get("Names", "").split()), type=props.get("Type", ""),
        remain_after_exit=props.get("RemainAfterExit", "") == "yes", result=props.get("Result", ""),
        n_restarts=num("NRestarts"), exit_monotonic=num("ExecMainExitTimestampMonotonic"),
    )


def parse_unit(text: str, name: str) -> UnitFacts:
    """One unit's `systemctl show` block, checked to be about `name` (its `Id` or one of its `Names`:
    an alias reports the unit it points to, with the alias among its Names)."""
    props = _props(text.strip())
    if name != props.get("Id") and name not in props.get("Names", "").split():
        raise FactsError(f"systemctl show {name} answered for {props.get('Id') or 'no unit'}",
                         hint="tempoctl matches units by name; a glob or a reply for another unit is refused.")
    return _unit(props)


def parse_show(text: str) -> list[UnitFacts]:
    """`systemctl show` output for several units: blocks of `Key=value` separated by blank lines, in the
    order systemd printed them. Property order inside a block does not matter. (Used only where one unit
    was asked for; the hosts source uses `parse_unit`, which checks the name.)"""
    return [_unit(_props(block)) for block in re.split(r"\n\s*\n", text.strip())]


def count_instances(processes: list[str], argv: str) -> int:
    """How many processes run exactly the unit's command line."""
    return sum(1 for p in processes if argv and p == argv) if argv else 0


# --- env files ------------------------------------------------------------------------------------------

_ENV_LINE = re.compile(r"^\s*(?:export\s+)?(?P<key>[A-Za-z_][A-Za-z0-9_]*)\s*=(?P<value>.*)$")


def _unquote(raw: str) -> str:
    v = raw.strip()
    if len(v) >= 2 and v[0] == v[-1] and v[0] in "\"'":
        inner = v[1:-1]
        return inner.replace('\\"', '"').replace("\\\\", "\\") if v[0] == '"' else inner
    return v


def parse_env(text: str) -> dict[str, str]:
    """KEY=value lines (systemd EnvironmentFile / dotenv style); comments and blank lines ignored; the last
    assignment of a key wins, as for systemd."""
    out: dict[str, str] = {}
    for line in text.splitlines():
        if line.lstrip().startswith("#"):
            continue
        m = _ENV_LINE.match(line)
        if m:
            out[m["key"]] = _unquote(m["value"])
    return out


def update_env(text: str, values: dict[str, str]) -> str:
    """`text` with each key of `values` set: the existing line is rewritten in place (every later duplicate
    dropped, so the file says one thing), new keys are appended; comments and other lines are kept.

    Keys and values must pass `tempoctl.desired.envgrammar` (checked at validate, and for secrets before
    apply writes anything); ValueError otherwise, so no caller can write a line another reader splits."""
    for key, value in values.items():
        if key_error(key) or value_error(value, show=False):
            raise ValueError(f"env-file key or value outside the allowed grammar (key {key!r})")
    seen: set[str] = set()
    out: list[str] = []
    for line in text.splitlines():
        m = None if line.lstrip().startswith("#") else _ENV_LINE.match(line)
        if m and m["key"] in values:
            if m["key"] in seen:
                continue
            seen.add(m["key"])
            prefix = "export " if line.lstrip().startswith("export ") else ""
            out.append(f"{prefix}{m['key']}={render(values[m['key']])}")
        else:
            out.append(line)
    for key, value in values.items():
        if key not in seen:
            out.append(f"{key}={render(value)}")
    return "\n".join(out) + "\n"
