"""The Rego engine wrapper (tempoctl/policy/engine.py, source.py) without a chain: messages as strings or
objects, every way a policy can be wrong as one clear error naming the file, stdout left clean, and the
folder rules (only `state/<env>` environments have policies; data.json must be an object)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tempoctl.errors import ConfigError
from tempoctl.policy.engine import Finding, PolicyError, PolicyFile, evaluate
from tempoctl.policy.source import from_working_tree, load_policies, policy_root

HEAD = "package tempoctl\n\nimport rego.v1\n\n"
PLAN = {"plan": {"changes": [{"address": "a.role.X[0x1]", "action": "delete"}]}, "environment": {"labels": {}}}


def _eval(text: str, data: dict[str, object] | None = None) -> list[Finding]:
    return evaluate([PolicyFile("policies/p.rego", text)], PLAN, data)


def test_string_and_object_messages_with_data() -> None:
    found = _eval(HEAD + 'deny contains "plain" if { count(input.plan.changes) > data.limit }\n'
                  'warn contains {"msg": "with address", "address": c.address} if { some c in input.plan.changes }\n',
                  {"limit": 0})
    assert found == [Finding("deny", "policies/p.rego", "plain"),
                     Finding("warn", "policies/p.rego", "with address", "a.role.X[0x1]")]
    assert _eval(HEAD + 'deny contains "plain" if { count(input.plan.changes) > data.limit }\n', {"limit": 5}) == []


def test_rego_v0_syntax_is_accepted() -> None:
    assert _eval("package tempoctl\n\ndeny[msg] {\n  c := input.plan.changes[_]\n  msg := c.address\n}\n") == [
        Finding("deny", "policies/p.rego", "a.role.X[0x1]")]


def test_syntax_error_names_the_file_and_line_and_keeps_stdout_clean(capfd: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(PolicyError) as err:
        _eval("package tempoctl\n\ndeny contains msg if {\n  msg := \n}\n")
    text = err.value.render()
    assert "Error: policies/p.rego: the policy cannot be evaluated" in text
    assert "policies/p.rego:3:" in text and "tempoctl-policy-" not in text  # the temp copy's path is not shown
    out, errout = capfd.readouterr()
    assert out == "" and errout == ""  # what regorus printed itself went into the error, not the terminal
    assert "warning" in text


@pytest.mark.parametrize(("body", "fragment"), [
    ("deny := true\n", "`deny` is not a set of messages"),
    ("deny contains 7 if { true }\n", "a `deny` message is neither a string nor an object with `msg`"),
    ('deny contains x if { x := 1 / 0 }\n', "the policy cannot be evaluated"),
    ("allow := true\n", "defines neither `deny` nor `warn` in `package tempoctl`"),
], ids=["not-a-set", "not-a-message", "runtime-error", "no-rule"])
def test_wrong_policies_are_clear_errors(body: str, fragment: str) -> None:
    with pytest.raises(PolicyError) as err:
        _eval(HEAD + body)
    assert err.value.summary.startswith("policies/p.rego: ")
    assert fragment in err.value.render()


def test_engine_not_installed_says_how_to_get_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "opa_eval", None)  # import opa_eval now raises ImportError
    with pytest.raises(ConfigError, match="the Rego engine is not installed") as err:
        _eval(HEAD + 'deny contains "x" if { true }\n')
    assert "pip install opa-eval" in err.value.hint


def test_policy_folder_only_next_to_state(tmp_path: Path) -> None:
    (tmp_path / "state" / "prod").mkdir(parents=True)
    (tmp_path / "elsewhere").mkdir()
    assert policy_root(tmp_path / "state" / "prod") == (tmp_path / "policies").resolve()
    assert policy_root(tmp_path / "elsewhere") is None  # a folder outside state/ picks up no stray policies/
    assert load_policies(tmp_path / "state" / "prod", None) is None  # no policies folder: nothing to judge


def test_data_json_must_be_an_object(tmp_path: Path) -> None:
    (tmp_path / "a.rego").write_text(HEAD + 'deny contains "x" if { false }\n')
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "fixture.rego").write_text("not even rego")  # subfolders are not policies
    (tmp_path / "data.json").write_text('{"limit": 3,\n "x": }')
    with pytest.raises(PolicyError, match=r"policies/data.json:2:7: not valid JSON"):
        from_working_tree(tmp_path)
    (tmp_path / "data.json").write_text('{"tempoctl": 1}')
    with pytest.raises(PolicyError, match="expected a JSON object"):
        from_working_tree(tmp_path)
    (tmp_path / "data.json").write_text('{"limit": 3}')
    source = from_working_tree(tmp_path)
    assert [f.name for f in source.files] == ["policies/a.rego"] and source.data == {"limit": 3}


def test_labels_and_signer_trust_come_from_the_trusted_base(tmp_path: Path) -> None:
    from tempoctl.desired import load_environment
    from tempoctl.desired.trusted import TrustedBase
    from tempoctl.policy.facts import environment_facts
    from tests.planners.test_planner_cases import BASE

    base_doc = {**BASE, "labels": {"production": True, "tier": "gold"}}
    pr_doc = {**BASE, "labels": {"tier": "bronze"}, "signers": {
        **BASE["signers"],
        # the PR relabels a keyed signer as a Safe and adds a new one
        "risk_officer": {**BASE["signers"]["risk_officer"], "via": "safe"},
        "newbie": {"network": "tempo", "address": "0x1111111111111111111111111111111111111111",
                   "key": "keystore:/k.json"}}}
    folder = tmp_path / "case"
    folder.mkdir()
    import json

    (folder / "environment.yaml").write_text(json.dumps(pr_doc))
    trusted = TrustedBase.of_documents("main", "case", {"environment.yaml": base_doc}, commit="c" * 40)
    facts = environment_facts(load_environment(folder, environ={}, cwd=tmp_path, trusted=trusted))
    assert facts["labels"] == {"production": True, "tier": "gold"}
    assert facts["labels_from"] == "the trusted base main"
    kinds = {n: (s["kind"], s["trusted"]) for n, s in facts["signers"].items()}
    assert kinds == {"admin": ("safe", True), "risk_officer": ("safe", False), "emergency": ("key", True),
                     "deployer": ("key", True), "newbie": ("keystore", False)}
    assert facts["addresses"]["0x1111111111111111111111111111111111111111"] == {
        "signer": "newbie", "kind": "keystore", "trusted": False}
    own = environment_facts(load_environment(folder, environ={}, cwd=tmp_path))  # no base: the working tree
    assert own["labels"] == {"tier": "bronze"} and own["signers"]["risk_officer"]["trusted"] is True
    assert "env:" not in json.dumps(own) and "keystore:" not in json.dumps(own)  # only kinds, no key references
