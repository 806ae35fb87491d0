"""Host facts as one command plus pure parsers (pyinfra's facts): what the hosts source runs on a host and
how its output becomes observed values.

A host is read with ONE command per run (`read_script`): `systemctl show` for every declared unit, the
process list (for `single_instance`), and every managed env file with its owner and mode. The parsers
below are pure and tested on recorded output; the end-to-end tests run the script against sshd.
"""

from __future__ import annotations

import base64
import re
import shlex
from dataclasses import dataclass, field

SHOW_PROPERTIES = "LoadState,ActiveState,SubState,UnitFileState,MainPID,ExecStart"
_SECTION = "@@tempoctl-section "
_FILE = "@@tempoctl-file "


@dataclass(frozen=True)
class UnitFacts:
    """One unit as `systemctl show` reports it. `argv` is the first ExecStart command line ('' if unknown)."""

    load: str
    active: str
    sub: str
    unit_file: str
    main_pid: int
    argv: str = ""

    @property
    def state(self) -> str:
        """The operator's word for it: running | stopped | failed | starting | missing."""
        if self.load == "not-found":
            return "missing"
        if self.active in ("active", "reloading"):
            return "running"
        if self.active == "failed":
            return "failed"
        if self.active in ("activating", "deactivating"):
            return "starting" if self.active == "activating" else "stopped"
        return "stopped"

    @property
    def enabled(self) -> bool | None:
        """True/False for enabled/disabled (or masked) units; None for static and other unit-file states."""
        if self.unit_file.startswith("enabled"):
            return True
        if self.unit_file in ("disabled", "masked", "masked-runtime"):
            return False
        return None


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
    files: dict[str, FileFacts] = field(default_factory=dict)


def unit_name(name: str) -> str:
    """`tempovault-api` → `tempovault-api.service` (systemd's own default suffix)."""
    return name if "." in name else f"{name}.service"


def read_script(units: list[str], paths: list[str]) -> list[str]:
    """The argv (`sh -c …`) that prints every fact the host's plan needs, in sections `parse_read` splits."""
    lines = []
    if units:
        lines.append(f"echo '{_SECTION}units'")
        lines.append(f"systemctl show -p {SHOW_PROPERTIES} -- {' '.join(shlex.quote(unit_name(u)) for u in units)}")
        lines.append(f"echo '{_SECTION}processes'")
        lines.append("ps -eo args= 2>/dev/null || true")
    for i, path in enumerate(paths):
        q = shlex.quote(path)
        lines.append(
            f"if [ -e {q} ]; then echo \"{_FILE}{i} $(stat -c '%U:%G %a' -- {q})\"; base64 < {q} | tr -d '\\n'; echo; "
            f"else echo '{_FILE}{i} absent'; fi"
        )
    return ["sh", "-c", "\n".join(lines)]


def parse_read(text: str, units: list[str], paths: list[str]) -> HostFacts:
    """Split `read_script` output into unit, process and file facts."""
    facts = HostFacts()
    section = ""
    chunks: dict[str, list[str]] = {"units": [], "processes": []}
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith(_SECTION):
            section = line[len(_SECTION):].strip()
        elif line.startswith(_FILE):
            idx, _, rest = line[len(_FILE):].partition(" ")
            path = paths[int(idx)]
            if rest.strip() == "absent":
                facts.files[path] = FileFacts(None)
            else:
                owner, _, mode = rest.strip().partition(" ")
                data = lines[i + 1] if i + 1 < len(lines) else ""
                facts.files[path] = FileFacts(base64.b64decode(data), owner, mode.zfill(4))
                i += 1
            section = ""
        elif section in chunks:
            chunks[section].append(line)
        i += 1
    blocks = parse_show("\n".join(chunks["units"]))
    for name, block in zip(units, blocks):
        facts.units[name] = block
    facts.processes = [p.strip() for p in chunks["processes"] if p.strip()]
    return facts


_ARGV = re.compile(r"argv\[\]=(.*?) ;")


def parse_show(text: str) -> list[UnitFacts]:
    """`systemctl show` output for several units: blocks of `Key=value` separated by blank lines, in the
    order the units were named. Property order inside a block does not matter."""
    out = []
    for block in re.split(r"\n\s*\n", text.strip()):
        props: dict[str, str] = {}
        for line in block.splitlines():
            key, sep, value = line.partition("=")
            if sep and key not in props:
                props[key] = value
        argv = _ARGV.search(props.get("ExecStart", ""))
        out.append(UnitFacts(
            load=props.get("LoadState", ""), active=props.get("ActiveState", ""), sub=props.get("SubState", ""),
            unit_file=props.get("UnitFileState", ""), main_pid=int(props.get("MainPID") or 0),
            argv=argv.group(1).strip() if argv else "",
        ))
    return out


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


def _quote(value: str) -> str:
    if value and re.fullmatch(r"[A-Za-z0-9_./:@,+=-]*", value):
        return value
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def update_env(text: str, values: dict[str, str]) -> str:
    """`text` with each key of `values` set: the existing line is rewritten in place (every later duplicate
    dropped, so the file says one thing), new keys are appended; comments and other lines are kept."""
    seen: set[str] = set()
    out: list[str] = []
    for line in text.splitlines():
        m = None if line.lstrip().startswith("#") else _ENV_LINE.match(line)
        if m and m["key"] in values:
            if m["key"] in seen:
                continue
            seen.add(m["key"])
            prefix = "export " if line.lstrip().startswith("export ") else ""
            out.append(f"{prefix}{m['key']}={_quote(values[m['key']])}")
        else:
            out.append(line)
    for key, value in values.items():
        if key not in seen:
            out.append(f"{key}={_quote(value)}")
    return "\n".join(out) + "\n"
