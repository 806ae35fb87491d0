"""Policy checks on plans (issue 16): conftest-style `deny`/`warn` rules in `policies/*.rego`, evaluated by a
real Rego engine over the plan document plus environment facts, after the plan is built and before anything
is shown as approvable. `plan` prints the results and carries them in its JSON; `apply` refuses a plan any
`deny` rule holds for, before anything is sent.

Data flow: source (which files, from the trusted base or the working tree) → facts (the input document) →
engine (regorus) → `PolicyReport` (attached to the plan as `policy`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tempoctl.desired import DesiredEnvironment
from tempoctl.errors import TempoctlError
from tempoctl.plan.model import Plan
from tempoctl.policy.engine import Finding, PolicyError

__all__ = ["PolicyDeniedError", "PolicyError", "PolicyReport", "judge"]


@dataclass
class PolicyReport:
    """What the policies said about one plan; `to_dict()` is the plan document's `policy` key:

        {"source": "the trusted base main (1a2b…)", "files": ["policies/a.rego", ...],
         "deny": [{"policy": "policies/a.rego", "message": "...", "address"?: "..."}], "warn": [...]}
    """

    source: str
    files: list[str]
    findings: list[Finding] = field(default_factory=list)

    @property
    def denied(self) -> list[Finding]:
        return [f for f in self.findings if f.rule == "deny"]

    def to_dict(self) -> dict[str, Any]:
        return {"source": self.source, "files": list(self.files),
                "deny": [f.to_dict() for f in self.findings if f.rule == "deny"],
                "warn": [f.to_dict() for f in self.findings if f.rule == "warn"]}


class PolicyDeniedError(TempoctlError):
    """At least one `deny` rule holds for the plan: apply sends nothing (and `plan` exits 1)."""

    @classmethod
    def of(cls, environment: str, policy: dict[str, Any]) -> PolicyDeniedError:
        denied = list(policy.get("deny") or [])
        lines = [f"  {d.get('policy')}: deny: " + (f"{d['address']}: " if d.get("address") else "")
                 + str(d.get("message")) for d in denied]
        return cls(f"{len(denied)} policy rule(s) deny this plan of {environment}: apply refuses it, nothing is sent",
                   detail="\n".join(lines),
                   hint=f"Policies are read from {policy.get('source')}. Change the desired state so that no "
                        "deny rule holds, or change the policy in its own reviewed change first.")


def judge(env: DesiredEnvironment, plan_doc: dict[str, Any]) -> PolicyReport | None:
    """Evaluate the environment's policies over `plan_doc` (a `Plan.to_dict()`); None when it has none.

    The plan is masked (`public_document`) before it becomes input: a policy never sees a secret."""
    from tempoctl.plan.render.values import public_document
    from tempoctl.policy.engine import evaluate
    from tempoctl.policy.facts import policy_input
    from tempoctl.policy.source import load_policies

    source = load_policies(env.root, env.trusted)
    if source is None:
        return None
    doc = {k: v for k, v in public_document(plan_doc).items() if k != "policy"}
    findings = evaluate(list(source.files), policy_input(env, doc), source.data)
    return PolicyReport(source.where, [f.name for f in source.files], findings)


def attach(env: DesiredEnvironment, plan: Plan, doc: dict[str, Any] | None = None) -> dict[str, Any] | None:
    """Judge `plan` (its `to_dict()`, or `doc` when the caller has it already) and store the verdict on it as
    `plan.policy`; the verdict's dict, or None when the environment has no policies. What `plan` and `apply`
    call right after building a plan."""
    report = judge(env, doc if doc is not None else plan.to_dict())
    plan.policy = report.to_dict() if report is not None else None
    return plan.policy


def refuse_if_denied(environment: str, policy: dict[str, Any] | None) -> None:
    """Raise `PolicyDeniedError` when any deny rule held (exit 1, naming each rule and change)."""
    if policy and policy.get("deny"):
        raise PolicyDeniedError.of(environment, policy)
