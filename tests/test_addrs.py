"""Issue 13: resource addresses are typed values whose text is exactly DESIGN §4's, so plans, `--target`,
journals and metrics keep reading the same strings while the engine takes them apart without regexes."""

from __future__ import annotations

import pytest

from tempoctl.core.addrs import Attribute, RoleAdmin, RoleMember, RoleSet, parse_address

MEMBER = "0xD7c37217aB5e1a7cF2D0C8fA2B1c6E4F3a9d6497"
# Every example of DESIGN §4 (and the value addresses the planners read), with the kind it parses to.
EXAMPLES = [
    (f"governance.role.ORACLE[{MEMBER}]", RoleMember("governance", "ORACLE", MEMBER)),
    ("governance.role.ORACLE", RoleSet("governance", "ORACLE")),
    ("governance.role_admin.ORACLE", RoleAdmin("governance", "ORACLE")),
    ("risk.paused", Attribute("risk", "paused")),
    ("risk.circuit_breaker[pathUSD-AlphaUSD]", Attribute("risk", "circuit_breaker", "pathUSD-AlphaUSD")),
    ("risk.risk_params", Attribute("risk", "risk_params")),
    (f"vault.approved_token[{MEMBER}]", Attribute("vault", "approved_token", MEMBER)),
    ("vault.fee_config", Attribute("vault", "fee_config")),
    (f"oracle.fee_balance[{MEMBER}]", Attribute("oracle", "fee_balance", MEMBER)),
    ("legacy_risk.setting[oracle]", Attribute("legacy_risk", "setting", "oracle")),
    ("vision_records.paused[REG_USR]", Attribute("vision_records", "paused", "REG_USR")),
    ("vault-1.service[tempovault-indexer]", Attribute("vault-1", "service", "tempovault-indexer")),
    ("vault-1.env_file[/etc/tempovault/x.env]", Attribute("vault-1", "env_file", "/etc/tempovault/x.env")),
    ("tempovault-db.freshness", Attribute("tempovault-db", "freshness")),
    # YAML names may contain dots: the attribute is what follows the last dot before the key.
    ("vault.example.com.service[a.service]", Attribute("vault.example.com", "service", "a.service")),
    ("gov.v2.role.ADMIN[0x01]", RoleMember("gov.v2", "ADMIN", "0x01")),
]


@pytest.mark.parametrize(("text", "typed"), EXAMPLES, ids=[t for t, _ in EXAMPLES])
def test_text_and_typed_forms_round_trip(text: str, typed: object) -> None:
    assert str(typed) == text
    assert parse_address(text) == typed
    assert type(typed).parse(text) == typed  # type: ignore[attr-defined]


@pytest.mark.parametrize("text", ["governance", "governance.role.ORACLE[]", ".paused", "risk."])
def test_not_an_address(text: str) -> None:
    parsed = parse_address(text)
    assert not isinstance(parsed, RoleMember)
    assert parsed is None or str(parsed) == text


def test_each_kind_refuses_the_others() -> None:
    assert RoleMember.parse("governance.role.ORACLE") is None
    assert RoleSet.parse(f"governance.role.ORACLE[{MEMBER}]") is None
    assert RoleAdmin.parse("governance.role.ORACLE") is None
    assert RoleSet.parse("governance.role_admin.ORACLE") is None
    assert RoleMember.parse("risk.circuit_breaker[x]") is None
