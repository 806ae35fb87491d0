"""The input document policies are evaluated over (README "Policies"): the plan exactly as `plan --format
json` prints it, plus facts about the environment that the plan alone does not say.

    input.plan            the plan document (changes, steps, drift, notes, observed pins, inputs, ...)
    input.environment     name, labels, labels_from, signers, addresses, contracts, oracle:
        signers    {name: {address, network, kind: key|keystore|safe|unsigned, trusted}}
        addresses  {lower-case address: {signer, kind, trusted}}  (the same, by address)
        contracts  {name: {profile, network, address | contract_id, release, wasm_sha256,
                           role_admins, roles (declared members)}}
        oracle     {contract, address, role, relay} or null

Labels come from the trusted base when there is one and it has the environment, so a pull request cannot
drop `production: true` to escape a rule; signer kinds come from the working tree (they are what apply will
use) and say per signer whether the trusted base declares it the same way (`trusted`). No secret and no key
reference goes into the input: only the kind of key.
"""

from __future__ import annotations

from typing import Any

from tempoctl.desired import DesiredEnvironment
from tempoctl.desired.base import EvmContract
from tempoctl.desired.models import Signer
from tempoctl.profiles.access_control.model import AccessControlContract
from tempoctl.profiles.vision_records.model import VisionRecordsContract


def signer_kind(signer: Signer | dict[str, Any]) -> str:
    """`safe` (steps go to a Safe batch), `key` (env:VAR), `keystore` (keystore:PATH) or `unsigned` (no key:
    an unsigned transaction is handed out)."""
    via = signer.via if isinstance(signer, Signer) else signer.get("via")
    key = signer.key if isinstance(signer, Signer) else signer.get("key")
    if via == "safe":
        return "safe"
    if isinstance(key, str) and key.startswith("keystore:"):
        return "keystore"
    if isinstance(key, str) and key.startswith("env:"):
        return "key"
    return "unsigned"


def _labels(env: DesiredEnvironment) -> tuple[dict[str, Any], str]:
    base = env.trusted
    if base is not None and base.ref is not None and base.exists:
        labels = base.get("labels")
        return (dict(labels) if isinstance(labels, dict) else {}), f"the trusted base {base.ref}"
    return dict(env.state.labels), "the working tree"


def _signers(env: DesiredEnvironment) -> dict[str, dict[str, Any]]:
    base = env.trusted
    out: dict[str, dict[str, Any]] = {}
    for name, s in env.state.signers.items():
        kind = signer_kind(s)
        if base is None or base.ref is None:
            trusted = True
        else:
            at_base = base.get("signers", name)
            trusted = (isinstance(at_base, dict) and str(at_base.get("address", "")).lower() == s.address.lower()
                       and signer_kind(at_base) == kind)
        out[name] = {"address": s.address, "network": s.network, "kind": kind, "trusted": trusted}
    return out


def _contracts(env: DesiredEnvironment) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for name, c in env.state.contracts.items():
        d: dict[str, Any] = {"profile": c.profile, "network": c.network}
        if isinstance(c, VisionRecordsContract):
            d.update(contract_id=c.contract_id, release=c.release, wasm_sha256=c.wasm_sha256)
        elif isinstance(c, EvmContract):
            d["address"] = c.address
        if isinstance(c, AccessControlContract):
            d["role_admins"] = dict(c.role_admins)
            d["roles"] = {role: list(spec if isinstance(spec, list) else spec.members)
                          for role, spec in c.roles.items()}
        out[name] = d
    return out


def environment_facts(env: DesiredEnvironment) -> dict[str, Any]:
    """`input.environment`: see the module docstring and README "Policies"."""
    labels, labels_from = _labels(env)
    signers = _signers(env)
    addresses: dict[str, dict[str, Any]] = {}
    for name, s in signers.items():  # lower-case keys: EVM checksums and Rego's lower() agree
        addresses.setdefault(s["address"].lower(), {"signer": name, "kind": s["kind"], "trusted": s["trusted"]})
    oracle = env.state.oracle
    return {
        "name": env.name,
        "labels": labels,
        "labels_from": labels_from,
        "signers": signers,
        "addresses": addresses,
        "contracts": _contracts(env),
        "oracle": None if oracle is None else {"contract": oracle.contract, "address": oracle.address,
                                               "role": oracle.role, "relay": oracle.relay is not None},
    }


def policy_input(env: DesiredEnvironment, plan_doc: dict[str, Any]) -> dict[str, Any]:
    """The whole input document: `plan_doc` (already secret-masked: `public_document`) and the facts."""
    return {"plan": plan_doc, "environment": environment_facts(env)}
