"""The `oracle` block: the oracle's ORACLE role and fee-token balance (an environment planner, not a contract
profile; the relay's key rotation is `tempoctl.profiles.oracle_relay`)."""
