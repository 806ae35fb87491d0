"""Receipt logs in words for `plan --fork`: the table's topics are the reference's, role ids print as names,
and any log a node answers (hostile or malformed) is described, never an exception."""

from __future__ import annotations

from typing import Any

import pytest

from tempoctl.observed.evm.events import KNOWN_EVENTS, describe_log

# topic0 values from the TempoVault interface reference (§3.3, §4.9, §5.5).
REFERENCE_TOPICS = {
    "RoleGranted": "2f8788117e7eff1d82e926ec794901d17c78024a50270940304540a733656f0d",
    "RoleRevoked": "f6391f5c32d9c69d2a47ea670b442974b53935d1edc7fd64eb21e047a839171b",
    "RoleAdminChanged": "bd79b86ffe0ab8e8776151514217cd7cacd52c909f66475c3af44e129f0b00ff",
    "GlobalPauseToggled": "fa299961d93aa96cd1a6b6e8e446b7c3b3e84213d1aea39a85e96797ebc20679",
    "CircuitBreakerTriggered": "9f1fcd9368598f0d85238fb9132b36406500308eb310b84c04bd6683f1cb5d6b",
    "CircuitBreakerReset": "669538ca1f8f0201db72834644c63f3888246fad61d33cbb3d3e728735bd89fd",
    "RiskParamsUpdated": "698440991d5b0de7750f72ec919c4330ac5f73710d5c48991519beb1c29d6fa8",
    "StrategyApproved": "d09d1712710f1ad78ddeb81f627e7f577a06d1333ac3e694d0485f82c5f2fe38",
    "TokenApproved": "54aee4f020b814c26f556399a354577e068193a82445e919505b00b9848512a5",
}
ADMIN = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
RISK = "0x25224d8f9a9fc3607343d6e4804b9ba2347ef2a832ba9799995045fca8c27af9"


def word(address: str) -> str:
    return "0x" + address[2:].lower().rjust(64, "0")


def test_topics_match_the_reference() -> None:
    names = {sig.name: topic.hex() for topic, sig in KNOWN_EVENTS.items()}
    for name, topic in REFERENCE_TOPICS.items():
        assert names[name] == topic, name


def test_role_granted_names_the_role() -> None:
    log = {"topics": ["0x" + REFERENCE_TOPICS["RoleGranted"], RISK, word(ADMIN), word(ADMIN)], "data": "0x"}
    assert describe_log(log, role_names={RISK: "RISK_OFFICER"}) == f"RoleGranted(RISK_OFFICER, {ADMIN}, {ADMIN})"
    assert describe_log(log).startswith(f"RoleGranted({RISK}, ")


def test_non_indexed_data_and_pause() -> None:
    log = {"topics": ["0x" + REFERENCE_TOPICS["GlobalPauseToggled"], word(ADMIN)], "data": "0x" + "00" * 31 + "01"}
    assert describe_log(log) == f"GlobalPauseToggled(true, {ADMIN})"


@pytest.mark.parametrize("log", [
    {}, {"topics": None}, {"topics": "0x12"}, {"topics": [None]}, {"topics": ["zz"], "data": 5},
    {"topics": ["0x" + REFERENCE_TOPICS["RoleGranted"]], "data": "0x1234"},
    {"topics": ["0x" + REFERENCE_TOPICS["GlobalPauseToggled"], word(ADMIN)], "data": "0x" + "ff" * 7},
])
def test_any_log_is_described_never_raised(log: dict[str, Any]) -> None:
    assert isinstance(describe_log(log), str)


def test_unknown_and_misfitting_logs_are_still_listed() -> None:
    assert describe_log({"topics": ["0x" + "ab" * 32, word(ADMIN)], "data": "0x" + "00" * 32}) == \
        "event 0xabababab… (1 topic(s), 32 bytes of data)"
    assert describe_log({"topics": ["0x" + REFERENCE_TOPICS["RoleGranted"]], "data": "0x"}).startswith(
        "RoleGranted(<topics and data that do not fit")
