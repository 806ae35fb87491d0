"""The Rego engine behind `policies/*.rego`: regorus (a Rust implementation of Rego) through the `opa-eval`
wheel, imported only when an environment has policies, so `validate` and `--help` never load it.

Each file is evaluated on its own (opa-eval loads one file per evaluator), with the query
`data.tempoctl.deny` and `data.tempoctl.warn`: a file declares `package tempoctl` and defines at least one of
the two as a set of messages (conftest's convention, in our own package so a repository's conftest policies
under `package main` are never mistaken for ours). Every failure (syntax, a rule that is not a set, a
runtime error) is a `PolicyError` naming the file, never a traceback.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tempoctl.errors import ConfigError

PACKAGE = "tempoctl"
RULES = ("deny", "warn")
_NO_RULE = "not a valid rule path"  # regorus's answer to a query naming a rule the file does not define


class PolicyError(ConfigError):
    """A policy file cannot be evaluated: it does not parse, defines no rule, or fails at evaluation."""


@dataclass(frozen=True)
class PolicyFile:
    """One `.rego` file: `name` as people see it (``policies/admin.rego``), `text` its content."""

    name: str
    text: str


@dataclass(frozen=True)
class Finding:
    """One message of a `deny` or `warn` rule. `address` is the change it names, when the rule said so
    (a message may be an object `{"msg": ..., "address": ...}` instead of a string)."""

    rule: str
    policy: str
    message: str
    address: str | None = None

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"policy": self.policy, "message": self.message}
        if self.address:
            d["address"] = self.address
        return d


def _engine() -> Any:
    try:
        from opa_eval import OpaEval
    except ImportError:
        raise ConfigError(
            "this environment has policies (policies/*.rego) but the Rego engine is not installed",
            hint="Install it with `pip install opa-eval` (a tempoctl dependency; it ships regorus as a wheel).",
        ) from None
    return OpaEval


@contextmanager
def _quiet(captured: list[str]) -> Iterator[None]:
    """Route file descriptors 1 and 2 to a temp file while regorus runs: it prints parser warnings itself,
    which would otherwise land in the middle of `plan --format json`. What it printed goes into `captured`."""
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        saved = (os.dup(1), os.dup(2))
    except OSError:  # no stdout/stderr to protect (a daemon's closed descriptors): nothing to redirect
        yield
        return
    with tempfile.TemporaryFile() as sink:
        os.dup2(sink.fileno(), 1)
        os.dup2(sink.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])
            sink.seek(0)
            captured.append(sink.read(64_000).decode("utf-8", "replace"))


def _messages(policy: PolicyFile, rule: str, value: Any) -> list[Finding]:
    """A rule's value as findings: a set (a list here) of strings or `{"msg": ..., "address": ...}` objects."""
    if not isinstance(value, list):
        raise PolicyError(f"{policy.name}: `{rule}` is not a set of messages (it evaluated to "
                          f"{json.dumps(value)[:80]})",
                          hint=f"Write it as `{rule} contains msg if {{ ... }}` (rego.v1) or `{rule}[msg] {{ ... }}`.")
    out = []
    for item in value:
        if isinstance(item, str):
            out.append(Finding(rule, policy.name, item))
        elif isinstance(item, dict) and isinstance(item.get("msg"), str):
            address = item.get("address")
            out.append(Finding(rule, policy.name, item["msg"], address if isinstance(address, str) else None))
        else:
            raise PolicyError(f"{policy.name}: a `{rule}` message is neither a string nor an object with `msg`: "
                              f"{json.dumps(item)[:80]}")
    return out


def evaluate(policies: list[PolicyFile], input_doc: dict[str, Any], data: dict[str, Any] | None = None) -> list[Finding]:
    """Every `deny` and `warn` message of `policies` over `input_doc`, file by file in the given order.

    Raises:
        ConfigError: the engine is not installed.
        PolicyError: a file does not parse, defines neither rule, or fails while evaluating.
    """
    if not policies:
        return []
    engine = _engine()
    input_json = json.dumps(input_doc, default=str)
    data_json = json.dumps(data) if data is not None else None
    findings: list[Finding] = []
    with tempfile.TemporaryDirectory(prefix="tempoctl-policy-") as tmp:
        for i, policy in enumerate(policies):
            # The engine reads a path; the text may come from git (the trusted base), so it is written here.
            path = Path(tmp) / f"{i:03d}-{Path(policy.name).name}"
            path.write_text(policy.text, encoding="utf-8")
            defined = 0
            for rule in RULES:
                captured: list[str] = []
                try:
                    with _quiet(captured):
                        evaluator = engine(str(path), data_json=data_json, query=f"data.{PACKAGE}.{rule}")
                        value = evaluator.evaluate_parsed(input_json)
                except (RuntimeError, ValueError) as exc:
                    text = str(exc)
                    if _NO_RULE in text:
                        continue
                    detail = (text + "\n" + "".join(captured)).replace(str(path), policy.name).strip()
                    raise PolicyError(f"{policy.name}: the policy cannot be evaluated", detail=detail,
                                      hint="Check it with the Rego engine tempoctl uses (regorus); write rego.v1 "
                                           "(`import rego.v1`) and `package tempoctl`.") from None
                defined += 1
                findings += _messages(policy, rule, value)
            if not defined:
                raise PolicyError(f"{policy.name}: defines neither `deny` nor `warn` in `package {PACKAGE}`",
                                  hint="A policy file declares `package tempoctl` and a `deny` or `warn` set of "
                                       "messages (conftest style).")
    return findings
