"""The saved plan file (`plan --out`, `apply PLANFILE`, `show PLANFILE`): the JSON document of DESIGN §5.

Written atomically with mode 0600 and secrets masked; read back with checks that turn every way a file can
be wrong (missing, not JSON, newer format, edited by hand) into one clear `TempoctlError`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tempoctl.atomic import write_atomic
from tempoctl.errors import TempoctlError
from tempoctl.plan.model import FORMAT_VERSION, Plan
from tempoctl.plan.render.values import counts, public_document


class PlanFileError(TempoctlError):
    """A saved plan cannot be used: the base of the errors below."""


class PlanFileNotFoundError(PlanFileError):
    """The plan file does not exist or cannot be read."""


class PlanFileCorruptError(PlanFileError):
    """The file is not JSON, or not a tempoctl plan document."""


class PlanFormatError(PlanFileError):
    """The plan was written in a format this tempoctl does not read (usually a newer tempoctl)."""


class PlanTamperedError(PlanFileError):
    """The plan's content no longer matches its fingerprint: it was edited after it was saved."""


def plan_document(plan: Plan) -> dict[str, Any]:
    """The document that `save_plan` writes (also what `--format json` prints for the same plan)."""
    return public_document(plan.to_dict())


def save_plan(plan: Plan, path: Path) -> None:
    """Write `plan` to `path` as JSON, atomically, mode 0600, creating the parent directory.

    Sensitive values are masked before writing (DESIGN §8); see `values.public_document` for what that
    means for the fingerprint when a builder left plaintext in a sensitive change.
    """
    text = json.dumps(plan_document(plan), indent=2, ensure_ascii=False) + "\n"
    write_atomic(path, text, mode=0o600)


NOT_A_PLAN_HINT = ("A plan file is what `tempoctl plan ENV --out FILE` wrote (any file name); to apply an "
                   "environment, pass its folder or its name under ./state.")


def looks_like_plan(path: Path) -> bool:
    """A cheap sniff of a file's first bytes (for shell completion): a JSON object naming `format_version` and
    tempoctl. `load_plan` is what decides; this only avoids offering Safe batches or XDR files as plans."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(512)
    except OSError:
        return False
    return head.lstrip().startswith(b"{") and b'"format_version"' in head and b"tempoctl" in head


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PlanFileNotFoundError(
            f"plan file {path} not found", hint="Create one with `tempoctl plan ENV --out FILE`."
        ) from None
    except UnicodeDecodeError as e:
        raise PlanFileCorruptError(f"{path} is not a tempoctl plan (not UTF-8 text at byte {e.start})",
                                   hint=NOT_A_PLAN_HINT) from None
    except OSError as e:
        raise PlanFileNotFoundError(f"cannot read plan file {path}: {e.strerror or e}") from None


def _check_version(path: Path, doc: dict[str, Any]) -> None:
    version = doc.get("format_version")
    if version is None:
        raise PlanFileCorruptError(f"{path} is not a tempoctl plan (no format_version)", hint=NOT_A_PLAN_HINT)
    if str(version) == FORMAT_VERSION:
        return
    try:
        newer = float(str(version)) > float(FORMAT_VERSION)
    except ValueError:
        newer = False
    if newer:
        raise PlanFormatError(
            f"this plan was written by a newer tempoctl (plan format {version}; this tempoctl reads "
            f"format {FORMAT_VERSION})",
            hint="Upgrade tempoctl, or re-plan with this version.",
        )
    raise PlanFormatError(
        f"{path} has plan format {version!r}, which this tempoctl does not read (it reads {FORMAT_VERSION})",
        hint="Re-plan with this version of tempoctl.",
    )


def load_plan(path: Path) -> Plan:
    """Read a saved plan and check that it is exactly what was saved.

    Raises:
        PlanFileNotFoundError: missing or unreadable file.
        PlanFileCorruptError: not JSON (with file:line:col) or not a plan document.
        PlanFormatError: a format_version this tempoctl does not read.
        PlanTamperedError: changes, inputs or targets edited after saving (fingerprint mismatch), or a
            summary that disagrees with the changes.
    """
    path = Path(path)
    text = _read(path)
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as e:
        raise PlanFileCorruptError(f"{path}:{e.lineno}:{e.colno}: not valid JSON: {e.msg} (a tempoctl plan is JSON)",
                                   hint=NOT_A_PLAN_HINT) from None
    if not isinstance(doc, dict):
        raise PlanFileCorruptError(f"{path} is not a tempoctl plan (expected a JSON object)", hint=NOT_A_PLAN_HINT)
    _check_version(path, doc)
    try:
        plan = Plan.from_dict(doc)
    except (KeyError, TypeError, ValueError, AttributeError) as e:
        what = f"missing key {e}" if isinstance(e, KeyError) else str(e)
        raise PlanFileCorruptError(f"{path} is not a valid tempoctl plan: {what}") from None
    recorded = doc.get("fingerprint")
    actual = plan.fingerprint()
    if recorded != actual:
        raise PlanTamperedError(
            f"plan file {path} was modified after it was saved",
            detail=f"recorded fingerprint: {recorded}\ncontent fingerprint:  {actual}",
            hint="Re-create it with `tempoctl plan ENV --out FILE`; never edit a saved plan by hand.",
        )
    if "summary" in doc and doc["summary"] != counts(doc.get("changes") or []):
        raise PlanTamperedError(
            f"plan file {path} was modified after it was saved (its summary does not match its changes)",
            hint="Re-create it with `tempoctl plan ENV --out FILE`.",
        )
    return plan
