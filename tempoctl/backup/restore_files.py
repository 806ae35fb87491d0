"""The files side of a restore drill: unpack the archive into the drill's temp directory on the host and
check what came out — declared files present, `sha256sum` lists matching, Teye descriptors well formed.

Only regular files count (`find -type f`, symlinks not followed), and every file read back for a check is
one of those, read from inside the temp directory, at most 1 MiB: an archive's content decides pass or fail,
it never makes the drill read something else on the host.
"""

from __future__ import annotations

import json
import re

from tempoctl.backup.restore import Check, RestoreFailed
from tempoctl.desired.models import Drill
from tempoctl.desired.types import strkey_valid
from tempoctl.observed.host.transport import Transport

_LIST = r'cd -- "$1" && find . -type f ! -path ./.tempoctl-drill -print0 | xargs -0 -r sha256sum --'
_SUM_LINE = re.compile(r"([0-9a-f]{64}) [ *](.+)")
_HEX64 = re.compile(r"[0-9a-fA-F]{64}")
_READ_LIMIT = 1 << 20


def unpack(host: Transport, archive: str, into: str) -> dict[str, str]:
    """Unpack `archive` into `into` and return {relative path: sha256} of the regular files in it."""
    done = host.run(["tar", "-xzf", archive, "-C", into, "--no-same-owner", "--no-same-permissions"], check=False)
    if done.returncode != 0:
        tail = "\n".join(done.stderr.decode("utf-8", "replace").strip().splitlines()[-4:])
        raise RestoreFailed(f"the archive did not unpack (exit {done.returncode}): {tail}")
    listed = host.run(["sh", "-c", _LIST, "sh", into])
    out: dict[str, str] = {}
    for line in listed.text.splitlines():
        m = _SUM_LINE.fullmatch(line)
        if m:
            out[m.group(2).removeprefix("./")] = m.group(1)
    return out


def _read(host: Transport, into: str, rel: str) -> bytes | None:
    done = host.run(["head", "-c", str(_READ_LIMIT + 1), "--", f"{into.rstrip('/')}/{rel}"], check=False)
    return done.stdout if done.returncode == 0 and len(done.stdout) <= _READ_LIMIT else None


def _norm(rel: str) -> str:
    return rel.removeprefix("./").rstrip("/")


def descriptor_problem(data: bytes) -> str | None:
    """Why a deployment descriptor (deploy.sh's JSON) is not usable to repoint consumers, or None."""
    try:
        doc = json.loads(data)
    except ValueError:
        return "not valid JSON"
    if not isinstance(doc, dict):
        return "not a JSON object"
    cid = doc.get("contract_id")
    if not isinstance(cid, str) or not strkey_valid(cid, "C"):
        return "contract_id is not a valid contract ID (C…, strkey checksum)"
    wasm = doc.get("wasm_hash")
    if not isinstance(wasm, str) or not _HEX64.fullmatch(wasm):
        return "wasm_hash is not 64 hex digits"
    return None


def _checksum_list(host: Transport, into: str, rel: str, files: dict[str, str]) -> Check:
    data = _read(host, into, rel)
    if data is None:
        return Check(f"checksums in {rel}", False, "missing, not a regular file, or over 1 MiB")
    wrong, n = [], 0
    for line in data.decode("utf-8", "replace").splitlines():
        m = _SUM_LINE.fullmatch(line.strip())
        if not m:
            continue
        n += 1
        base = rel.rsplit("/", 1)[0] + "/" if "/" in rel else ""
        listed = _norm(m.group(2))
        # sha256sum lists are written from the directory that holds them, or from the archive root.
        got = files.get(base + listed, files.get(listed))
        if got != m.group(1).lower():
            wrong.append(f"{listed} ({'missing' if got is None else 'hash differs'})")
    if n == 0:
        return Check(f"checksums in {rel}", False, "no sha256sum line in it")
    return Check(f"checksums in {rel}", not wrong, f"{n - len(wrong)}/{n} match" + (f"; {', '.join(wrong[:5])}"
                                                                                    if wrong else ""))


def archive_checks(host: Transport, into: str, files: dict[str, str], drill: Drill) -> list[Check]:
    out = [Check("files restored", bool(files), f"{len(files)} regular file(s)")]
    for rel in drill.files_present:
        want = _norm(rel)
        ok = want in files or any(f.startswith(want + "/") for f in files)
        out.append(Check(f"{rel} present", ok, "present" if ok else "missing"))
    for rel in drill.descriptors:
        data = _read(host, into, _norm(rel)) if _norm(rel) in files else None
        problem = "missing or not a regular file" if data is None else descriptor_problem(data)
        out.append(Check(f"descriptor {rel}", problem is None, problem or "contract ID and wasm_hash valid"))
    for rel in drill.checksums:
        out.append(_checksum_list(host, into, _norm(rel), files))
    return out
