// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {GovernanceRoles} from "./GovernanceRoles.sol";
import {RiskController} from "./RiskController.sol";

/// @notice Test fixture mirroring TempoVault's TreasuryVault admin surface (whitelists, fee config)
/// plus pause-gated deposit/withdraw. Strategy deployment is not modelled.
contract TreasuryVault is ReentrancyGuard {
    using SafeERC20 for IERC20;

    GovernanceRoles public immutable governance;
    RiskController public immutable riskController;
    uint256 public immutable vaultId;
    uint256 public immutable createdAt;
    address public owner;

    mapping(address => bool) public approvedTokens;
    mapping(address => bool) public approvedStrategies;
    mapping(address => uint256) public tokenBalances;

    address public feeTreasury;
    uint16 public performanceFeeBps;
    uint16 public managementFeeBps;

    error TokenNotApproved(address token);
    error StrategyNotApproved(address strategy);
    error InsufficientBalance(uint256 available, uint256 requested);
    error DeploymentNotActive(uint256 deploymentId);
    error ZeroAmount();
    error NotVaultOwner();
    error BalanceConsistencyViolation(address token, uint256 expected, uint256 actual);
    error FeeTreasuryNotSet();

    event Deposited(
        uint256 indexed vaultId, address indexed token, uint256 amount, address indexed depositor, uint256 newBalance
    );
    event Withdrawn(
        uint256 indexed vaultId, address indexed token, uint256 amount, address indexed recipient, uint256 newBalance
    );
    event StrategyApproved(address indexed strategy, bool approved);
    event TokenApproved(address indexed token, bool approved);

    modifier onlyRole(bytes32 role) {
        governance.checkRole(role, msg.sender);
        _;
    }

    modifier whenNotPaused() {
        if (riskController.paused()) revert RiskController.ProtocolPaused();
        _;
    }

    modifier onlyOwnerOrTreasuryManager() {
        if (msg.sender != owner && !governance.hasRole(governance.TREASURY_MANAGER_ROLE(), msg.sender)) {
            revert NotVaultOwner();
        }
        _;
    }

    constructor(uint256 _vaultId, address _owner, address _governance, address _riskController) {
        vaultId = _vaultId;
        owner = _owner;
        governance = GovernanceRoles(_governance);
        riskController = RiskController(_riskController);
        createdAt = block.timestamp;
    }

    function setApprovedToken(address token, bool approved) external onlyRole(governance.ADMIN_ROLE()) {
        approvedTokens[token] = approved;
        emit TokenApproved(token, approved);
    }

    function setApprovedStrategy(address strategy, bool approved) external onlyRole(governance.ADMIN_ROLE()) {
        approvedStrategies[strategy] = approved;
        emit StrategyApproved(strategy, approved);
    }

    function setFeeConfig(address _feeTreasury, uint16 _performanceFeeBps, uint16 _managementFeeBps)
        external
        onlyRole(governance.ADMIN_ROLE())
    {
        if (_feeTreasury == address(0)) revert FeeTreasuryNotSet();
        if (_performanceFeeBps > 5000 || _managementFeeBps > 500) revert RiskController.InvalidParams();
        feeTreasury = _feeTreasury;
        performanceFeeBps = _performanceFeeBps;
        managementFeeBps = _managementFeeBps;
    }

    function deposit(address token, uint256 amount) external nonReentrant whenNotPaused onlyOwnerOrTreasuryManager {
        if (!approvedTokens[token]) revert TokenNotApproved(token);
        if (amount == 0) revert ZeroAmount();
        IERC20(token).safeTransferFrom(msg.sender, address(this), amount);
        uint256 newBalance = tokenBalances[token] + amount;
        tokenBalances[token] = newBalance;
        emit Deposited(vaultId, token, amount, msg.sender, newBalance);
    }

    function withdraw(address token, uint256 amount, address recipient)
        external
        nonReentrant
        whenNotPaused
        onlyOwnerOrTreasuryManager
    {
        if (amount == 0) revert ZeroAmount();
        uint256 available = tokenBalances[token];
        if (amount > available) revert InsufficientBalance(available, amount);
        uint256 newBalance = available - amount;
        tokenBalances[token] = newBalance;
        IERC20(token).safeTransfer(recipient, amount);
        emit Withdrawn(vaultId, token, amount, recipient, newBalance);
    }

    function availableBalance(address token) external view returns (uint256) {
        return tokenBalances[token];
    }
}
