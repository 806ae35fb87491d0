"""The desired stage's entry point: `state/<env>/*.yaml` → one validated, normalised `DesiredState`.

Pipeline: read and parse each file (source) → refuse secrets, expand `${VAR}` (secrets, expand) → merge the
files by top-level name → pydantic (translate) → offline semantic checks (semantic). Every problem found in
any step is collected and raised together as one ValidationError; nothing else escapes.
"""

from __future__ import annotations

import difflib
import hashlib
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError as PydanticValidationError

from tempoctl.desired.bounds import MAX_FILE_BYTES
from tempoctl.desired.models import DesiredState
from tempoctl.desired.reach import Reach
from tempoctl.desired.sanitise import Sanitiser
from tempoctl.desired.secrets import comment_secrets, secret_message
from tempoctl.desired.semantic import check
from tempoctl.desired.source import KeyPath, LoadedFile, Pos, Positions, load_file
from tempoctl.desired.translate import describe, translate
from tempoctl.desired.trusted import TrustedBase, secret_variables
from tempoctl.errors import ConfigError, Diagnostic, ValidationError
from tempoctl.safetext import register_hidden

MAPPING_SECTIONS = ("networks", "signers", "contracts", "hosts", "backups")


@dataclass(frozen=True)
class DesiredEnvironment:
    """One environment's desired state, validated, with the positions needed to point back into its files.

    Attributes:
        name: the environment folder's name, e.g. "tempo-testnet".
        root: the folder `state/<env>`.
        state: the validated, normalised model (checksummed addresses, durations in seconds).
        files: the `*.yaml`/`*.yml` files read, sorted.
        digest: "sha256:<hex>" over the files' names and bytes, to detect a changed state folder.
        trusted: what decided this load's reach (the working tree, or `--trusted-base REF`); later stages
            ask it what the base declares before reading a host, a path or a database.
    """

    name: str
    root: Path
    state: DesiredState
    files: tuple[Path, ...]
    digest: str
    positions: Positions = field(default_factory=Positions, repr=False, compare=False)
    trusted: TrustedBase | None = field(default=None, repr=False, compare=False)
    written: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)
    """The files merged as written, `${VAR}` unexpanded: what `reach` compares with the trusted base."""

    @property
    def reach(self) -> Reach:
        """What this load may read (hosts, paths, databases, backend): everything without a trusted base,
        only what the base declares under one (desired/reach.py)."""
        return Reach(self.trusted or TrustedBase.working_tree(self.name), self.written)

    def where(self, *path: str | int) -> str:
        """'state/tempo-testnet/tempovault.yaml:14:9' for a key path into the merged document; falls back to
        the nearest ancestor that has a position."""
        return self.positions.value(tuple(path))


def resolve_environment(spec: str | Path, cwd: Path | None = None) -> Path:
    """A folder path as given, or a name looked up as `./state/<name>`; ConfigError (with "did you mean")
    when neither exists."""
    base = cwd or Path.cwd()
    direct = Path(spec) if Path(spec).is_absolute() else base / spec
    if direct.is_dir():
        return direct
    named = base / "state" / str(spec)
    if named.is_dir():
        return named
    state_dir = base / "state"
    known = sorted(p.name for p in state_dir.iterdir() if p.is_dir()) if state_dir.is_dir() else []
    close = difflib.get_close_matches(str(spec), known, n=1, cutoff=0.5)
    hint = f'Did you mean "{close[0]}"? ' if close else ""
    hint += f"Known environments: {', '.join(known)}." if known else f"No environments under {state_dir}."
    raise ConfigError(f'no environment "{spec}": neither a folder nor state/{spec} exists', hint=hint)


def load_environment(
    spec: str | Path,
    *,
    environ: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    trusted: TrustedBase | str | None = None,
) -> DesiredEnvironment:
    """Read, merge and validate an environment. Raises ValidationError listing every problem at once.

    `trusted` decides which variables may be expanded where (desired/trusted.py): a `TrustedBase`, a git ref
    to read one from (`--trusted-base REF`), or None for the working tree."""
    root = resolve_environment(spec, cwd)
    if isinstance(trusted, str):
        trusted = TrustedBase.from_git(trusted, root)
    base = trusted or TrustedBase.working_tree(root.name)
    env = os.environ if environ is None else environ
    files = tuple(sorted([*root.glob("*.yaml"), *root.glob("*.yml")], key=lambda p: p.name))
    files = tuple(p for p in files if p.is_file())
    if not files:
        raise ConfigError(f"no *.yaml files in {root}", hint="An environment is a folder of state files.")
    digest = hashlib.sha256()
    diags: list[Diagnostic] = []
    loaded: list[LoadedFile] = []
    for path in files:
        size = path.stat().st_size
        # A huge file is never read whole: it is refused on its size alone (DESIGN §8).
        blob = path.read_bytes() if size <= MAX_FILE_BYTES else _head(path)
        digest.update(f"{path.name}\0{len(blob)}\0".encode() + blob)
        loaded.append(_parse(path, blob, cwd, diags))
    written = TrustedBase.of_documents(None, root.name, {lf.path.name: lf.data for lf in loaded
                                                        if isinstance(lf.data, dict)}).merged()
    san = Sanitiser(env, base, secret_variables([lf.data for lf in loaded if lf.data]))
    for lf in loaded:
        lf.data = san.run(lf.data, lf.positions)
    diags.extend(san.diags)
    merged, positions, conflicts = _merge(loaded, cwd, diags)
    declared = merged.get("environment")
    if isinstance(declared, str) and declared != root.name:
        # The folder decides which environment this is (plans, locks, history and the backend file are keyed
        # by it); a different `environment:` would be silently ignored, so it is refused.
        diags.append(Diagnostic(positions.value(("environment",)), "environment",
                                f'"environment: {declared}" does not match the folder name "{root.name}"; '
                                f'write "environment: {root.name}" or rename the folder'))
    state, more = _validate(merged, positions, conflicts, san.templates)
    # A redacted or unexpandable value already has its diagnostic; what pydantic says about it is noise.
    diags.extend(d for d in more if not any(_under(d.path, s) for s in san.suppressed))
    # Messages name ${VAR}, never its value (the templates cover pydantic's; this covers the rest).
    diags = [Diagnostic(d.where, d.path, san.hide(d.message, d.path)) for d in diags]
    register_hidden(san.read)
    if any(lf.data is None and lf.diagnostics for lf in loaded):
        # A file that could not be parsed may well hold the top-level keys reported missing: noise.
        diags = [d for d in diags if not (d.path == "" and d.message.startswith("required key"))]
    diags = _dedupe_sorted(diags)
    if diags or state is None:
        raise ValidationError(diags or [Diagnostic(positions.value(()), "", "invalid desired state")])
    return DesiredEnvironment(root.name, root, state, files, "sha256:" + digest.hexdigest(), positions, base,
                              written)


def _parse(path: Path, blob: bytes, cwd: Path | None, diags: list[Diagnostic]) -> LoadedFile:
    if len(blob) > MAX_FILE_BYTES:
        pos = Positions(cwd=cwd)
        d = Diagnostic(pos.render(Pos(path, 1, 1)), "",
                       f"the file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB: refused before parsing; "
                       "split it into several files")
        diags.append(d)
        return LoadedFile(path, None, [d], pos)
    try:
        text = blob.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = blob[: exc.start].count(b"\n") + 1
        col = exc.start - (blob.rfind(b"\n", 0, exc.start) + 1) + 1
        pos = Positions(cwd=cwd)
        d = Diagnostic(pos.render(Pos(path, line, col)), "", "not UTF-8 text")
        diags.append(d)
        return LoadedFile(path, None, [d], pos)
    lf = load_file(path, text, cwd)
    diags.extend(lf.diagnostics)
    for line, col, kind in comment_secrets(text):
        diags.append(Diagnostic(lf.positions.render(Pos(path, line, col)), "", "a comment " + secret_message(kind)))
    if lf.data is not None and not isinstance(lf.data, dict):
        diags.append(
            Diagnostic(
                lf.positions.value(()),
                "",
                "the top level of a state file must be a mapping "
                f"(environment:, networks:, contracts:, ...), got {describe(lf.data)}",
            )
        )
        lf.data = None
    return lf


def _head(path: Path) -> bytes:
    """The first MAX_FILE_BYTES + 1 bytes: enough to know the file is too large, and to fingerprint it."""
    with path.open("rb") as f:
        return f.read(MAX_FILE_BYTES + 1)


def _under(path: str, prefix: str) -> bool:
    return path == prefix or path.startswith((prefix + ".", prefix + "["))


def _merge(
    loaded: list[LoadedFile], cwd: Path | None, diags: list[Diagnostic]
) -> tuple[dict[str, Any], Positions, list[KeyPath]]:
    """Merge files: mapping sections by name, scalars once; a name defined twice names both places.

    Also returns the names defined twice: neither definition is validated further, since checking one of
    them against the rest would report problems that are only consequences of the clash."""
    conflicts: list[KeyPath] = []
    merged: dict[str, Any] = {}
    positions = Positions(cwd=cwd)
    for lf in loaded:
        if not lf.data:
            continue
        rejected: list[KeyPath] = []
        for key, value in lf.data.items():
            here = lf.positions.key((key,))
            if (
                key in MAPPING_SECTIONS
                and isinstance(value, dict | None)
                and isinstance(merged.get(key, {}), dict)
            ):
                section = merged.setdefault(key, {})
                for name, item in (value or {}).items():
                    if name in section:
                        first = positions.key((key, name))
                        diags.append(
                            Diagnostic(
                                lf.positions.key((key, name)),
                                f"{key}.{name}",
                                f'"{name}" is defined twice: here and at {first}',
                            )
                        )
                        rejected.append((key, name))
                        conflicts.append((key, name))
                    else:
                        section[name] = item
            elif key in merged:
                if key == "environment" and merged[key] == value:
                    continue
                first = positions.key((key,))
                what = "disagrees with" if key == "environment" else "is already defined at"
                diags.append(
                    Diagnostic(
                        here,
                        key,
                        f'"{key}" {what} {first}'
                        + (f" ({describe(merged[key])})" if key == "environment" else ""),
                    )
                )
                rejected.append((key,))
            else:
                merged[key] = value
        for table, target in ((lf.positions.values, positions.values), (lf.positions.keys, positions.keys)):
            for p, v in table.items():
                if not any(p[: len(r)] == r for r in rejected):
                    target.setdefault(p, v)
    return merged, positions, conflicts


def _validate(
    raw: dict[str, Any], positions: Positions, conflicts: list[KeyPath], templates: dict[KeyPath, str]
) -> tuple[DesiredState | None, list[Diagnostic]]:
    """Pydantic, then semantic checks on whatever validated (broken items are pruned, so every problem in
    every file is still reported in one run)."""
    merged = {k: (dict(v) if isinstance(v, dict) else v) for k, v in raw.items()}
    for section, name in conflicts:
        merged[str(section)].pop(name, None)
    try:
        state = DesiredState.model_validate(merged)
        state, more = check(state, raw, positions)
        return (None if conflicts else state), more
    except PydanticValidationError as exc:
        errors: list[dict[str, Any]] = [dict(e) for e in exc.errors(include_url=False)]
    diags = translate(errors, merged, positions, DesiredState, templates)
    pruned = {k: (dict(v) if isinstance(v, dict) else v) for k, v in merged.items()}
    for e in errors:
        loc: tuple[Any, ...] = tuple(e["loc"])
        if len(loc) >= 2 and loc[0] in MAPPING_SECTIONS and isinstance(pruned.get(loc[0]), dict):
            pruned[loc[0]].pop(loc[1], None)
        elif loc:
            pruned.pop(loc[0], None)
    pruned.setdefault("environment", "?")
    try:
        state = DesiredState.model_validate(pruned)
    except PydanticValidationError:
        return None, diags
    _, more = check(state, raw, positions)
    return None, diags + more


def _dedupe_sorted(diags: list[Diagnostic]) -> list[Diagnostic]:
    def key(d: Diagnostic) -> tuple[str, int, int]:
        parts = d.where.rsplit(":", 2)
        if len(parts) == 3 and parts[1].isdigit() and parts[2].isdigit():
            return parts[0], int(parts[1]), int(parts[2])
        return d.where, 0, 0

    unique = list(dict.fromkeys(diags))
    return sorted(unique, key=key)
