// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AccessControlEnumerable} from "@openzeppelin/contracts/access/extensions/AccessControlEnumerable.sol";

/// @notice Test fixture mirroring TempoVault's GovernanceRoles (role registry, OZ AccessControlEnumerable).
contract GovernanceRoles is AccessControlEnumerable {
    bytes32 public constant ADMIN_ROLE = DEFAULT_ADMIN_ROLE;
    bytes32 public constant TREASURY_MANAGER_ROLE = keccak256("TREASURY_MANAGER");
    bytes32 public constant RISK_OFFICER_ROLE = keccak256("RISK_OFFICER");
    bytes32 public constant EMERGENCY_ROLE = keccak256("EMERGENCY");
    bytes32 public constant ORACLE_ROLE = keccak256("ORACLE");
    bytes32 public constant STRATEGIST_ROLE = keccak256("STRATEGIST");

    // Declared by the real contract, never emitted.
    event RoleGrantedByAdmin(bytes32 indexed role, address indexed account, address indexed admin);
    event RoleRevokedByAdmin(bytes32 indexed role, address indexed account, address indexed admin);

    error Unauthorized(address caller, bytes32 requiredRole);

    constructor(address initialAdmin) {
        if (initialAdmin == address(0)) revert Unauthorized(address(0), bytes32(0));
        _grantRole(ADMIN_ROLE, initialAdmin);
        _grantRole(EMERGENCY_ROLE, initialAdmin);
    }

    function checkRole(bytes32 role, address account) external view {
        if (!hasRole(role, account)) revert Unauthorized(account, role);
    }

    function setRoleAdmin(bytes32 role, bytes32 adminRole) external onlyRole(ADMIN_ROLE) {
        _setRoleAdmin(role, adminRole);
    }
}
