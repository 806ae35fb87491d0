// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @notice Runbook-style risk contract (functions the real RiskController does NOT have), for the `custom` profile.
contract LegacyRisk {
    address public immutable owner;
    address public oracle;
    mapping(bytes32 => bool) public circuitBroken;

    error NotOwner(address caller);

    event OracleAddressUpdated(address indexed previousOracle, address indexed newOracle);
    event CircuitBreakerSet(bytes32 indexed pairId, bool broken);

    modifier onlyOwner() {
        if (msg.sender != owner) revert NotOwner(msg.sender);
        _;
    }

    constructor(address _owner) {
        owner = _owner;
    }

    function setOracleAddress(address newOracle) external onlyOwner {
        emit OracleAddressUpdated(oracle, newOracle);
        oracle = newOracle;
    }

    function setCircuitBreaker(bytes32 pairId, bool broken) external onlyOwner {
        circuitBroken[pairId] = broken;
        emit CircuitBreakerSet(pairId, broken);
    }
}
