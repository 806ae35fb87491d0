// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {GovernanceRoles} from "./GovernanceRoles.sol";

/// @notice Test fixture mirroring TempoVault's RiskController: pause flag, circuit breakers,
/// risk parameters and EIP-712 signed oracle signals.
contract RiskController {
    struct RiskParams {
        uint16 maxExposurePerPairBps;
        int16 maxTickDeviation;
        uint16 maxImbalanceBps;
        uint256 maxOrderSize;
        uint16 minReserveBps;
        uint32 oracleStalenessThreshold;
        int16 maxSpreadSanityTicks;
        uint256 minDepthThreshold;
    }

    struct OracleSignal {
        int16 referenceTick;
        uint256 pegDeviation;
        uint256 orderbookDepthBid;
        uint256 orderbookDepthAsk;
        uint256 timestamp;
        uint256 nonce;
    }

    bytes32 private constant DOMAIN_TYPEHASH =
        keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)");
    bytes32 private constant ORACLE_UPDATE_TYPEHASH = keccak256(
        "OracleUpdate(bytes32 pairId,int16 referenceTick,uint256 pegDeviation,uint256 orderbookDepthBid,uint256 orderbookDepthAsk,uint256 timestamp,uint256 nonce)"
    );

    GovernanceRoles public immutable governance;
    bytes32 public immutable DOMAIN_SEPARATOR;

    bool public paused;
    mapping(bytes32 => bool) public pairCircuitBroken;

    uint16 public maxExposurePerPairBps;
    int16 public maxTickDeviation;
    uint16 public maxImbalanceBps;
    uint256 public maxOrderSize;
    uint16 public minReserveBps;
    uint32 public oracleStalenessThreshold;
    int16 public maxSpreadSanityTicks;
    uint256 public minDepthThreshold;

    mapping(bytes32 => OracleSignal) public latestSignals;
    mapping(bytes32 => uint256) public oracleNonces;
    mapping(bytes32 => uint256) public oracleLastTimestamp;

    error ProtocolPaused();
    error PairCircuitBroken(bytes32 pairId);
    error ExposureLimitExceeded(uint256 requested, uint256 maxAllowed);
    error TickDeviationExceeded(int24 tick, int24 maxDeviation);
    error ImbalanceThresholdBreached(uint256 imbalance, uint16 threshold);
    error OrderSizeExceeded(uint256 size, uint256 maxSize);
    error InsufficientReserve(uint256 available, uint256 required);
    error StaleOracleData(uint256 lastUpdate, uint256 threshold);
    error InvalidParams();
    error OracleNonceReplay(bytes32 pairId, uint256 submitted, uint256 lastAccepted);
    error OracleTimestampNotMonotonic(bytes32 pairId, uint256 submitted, uint256 lastAccepted);
    error OracleSignatureInvalid(address recoveredSigner, address expectedSigner);
    error SpreadSanityExceeded(int24 spread, int24 maxSpread);
    error DepthBelowThreshold(uint256 depth, uint256 threshold);

    event GlobalPauseToggled(bool paused, address indexed toggledBy);
    event CircuitBreakerTriggered(bytes32 indexed _pairId, address indexed triggeredBy);
    event CircuitBreakerReset(bytes32 indexed _pairId, address indexed resetBy);
    event RiskParamsUpdated(RiskParams params, address indexed updatedBy);
    event OracleSignalUpdated(bytes32 indexed _pairId, OracleSignal signal, uint256 nonce);
    event OracleNonceAdvanced(bytes32 indexed _pairId, uint256 oldNonce, uint256 newNonce);

    modifier onlyRole(bytes32 role) {
        governance.checkRole(role, msg.sender);
        _;
    }

    modifier whenNotPaused() {
        if (paused) revert ProtocolPaused();
        _;
    }

    constructor(address _governance, RiskParams memory _params) {
        if (_governance == address(0)) revert InvalidParams();
        governance = GovernanceRoles(_governance);
        DOMAIN_SEPARATOR = keccak256(
            abi.encode(
                DOMAIN_TYPEHASH,
                keccak256(bytes("TempoVaultRiskController")),
                keccak256(bytes("1")),
                block.chainid,
                address(this)
            )
        );
        _setRiskParams(_params);
    }

    // ---- pause and circuit breakers ----

    function toggleGlobalPause(bool _paused) external onlyRole(governance.EMERGENCY_ROLE()) {
        paused = _paused;
        emit GlobalPauseToggled(_paused, msg.sender);
    }

    function triggerCircuitBreaker(bytes32 _pairId) external onlyRole(governance.RISK_OFFICER_ROLE()) {
        pairCircuitBroken[_pairId] = true;
        emit CircuitBreakerTriggered(_pairId, msg.sender);
    }

    function resetCircuitBreaker(bytes32 _pairId) external onlyRole(governance.RISK_OFFICER_ROLE()) {
        pairCircuitBroken[_pairId] = false;
        emit CircuitBreakerReset(_pairId, msg.sender);
    }

    function pairId(address tokenA, address tokenB) external pure returns (bytes32) {
        (address a, address b) = uint160(tokenA) < uint160(tokenB) ? (tokenA, tokenB) : (tokenB, tokenA);
        return keccak256(abi.encodePacked(a, b));
    }

    // ---- risk parameters ----

    function updateRiskParams(RiskParams calldata _params) external onlyRole(governance.RISK_OFFICER_ROLE()) {
        _setRiskParams(_params);
        emit RiskParamsUpdated(_params, msg.sender);
    }

    function _setRiskParams(RiskParams memory p) internal {
        if (p.maxExposurePerPairBps == 0 || p.maxExposurePerPairBps > 10000) revert InvalidParams();
        if (p.maxTickDeviation <= 0 || p.maxTickDeviation > 2000) revert InvalidParams();
        if (p.maxImbalanceBps == 0 || p.maxImbalanceBps > 10000) revert InvalidParams();
        if (p.maxOrderSize == 0) revert InvalidParams();
        if (p.minReserveBps > 10000) revert InvalidParams();
        if (p.oracleStalenessThreshold == 0) revert InvalidParams();
        if (p.maxSpreadSanityTicks <= 0 || p.maxSpreadSanityTicks > 2000) revert InvalidParams();
        maxExposurePerPairBps = p.maxExposurePerPairBps;
        maxTickDeviation = p.maxTickDeviation;
        maxImbalanceBps = p.maxImbalanceBps;
        maxOrderSize = p.maxOrderSize;
        minReserveBps = p.minReserveBps;
        oracleStalenessThreshold = p.oracleStalenessThreshold;
        maxSpreadSanityTicks = p.maxSpreadSanityTicks;
        minDepthThreshold = p.minDepthThreshold;
    }

    // ---- oracle ----

    function updateOracleSignal(bytes32 _pairId, OracleSignal calldata signal, bytes calldata signature)
        external
        whenNotPaused
    {
        if (signal.timestamp > block.timestamp) revert InvalidParams();
        uint256 lastNonce = oracleNonces[_pairId];
        if (signal.nonce <= lastNonce) revert OracleNonceReplay(_pairId, signal.nonce, lastNonce);
        uint256 lastTs = oracleLastTimestamp[_pairId];
        if (lastTs != 0 && signal.timestamp <= lastTs) {
            revert OracleTimestampNotMonotonic(_pairId, signal.timestamp, lastTs);
        }
        address signer = ECDSA.recover(_digest(_pairId, signal), signature);
        if (!governance.hasRole(governance.ORACLE_ROLE(), signer)) revert OracleSignatureInvalid(signer, address(0));

        oracleNonces[_pairId] = signal.nonce;
        oracleLastTimestamp[_pairId] = signal.timestamp;
        latestSignals[_pairId] = signal;
        emit OracleNonceAdvanced(_pairId, lastNonce, signal.nonce);
        emit OracleSignalUpdated(_pairId, signal, signal.nonce);
    }

    function _digest(bytes32 _pairId, OracleSignal calldata s) internal view returns (bytes32) {
        bytes32 structHash = keccak256(
            abi.encode(
                ORACLE_UPDATE_TYPEHASH,
                _pairId,
                s.referenceTick,
                s.pegDeviation,
                s.orderbookDepthBid,
                s.orderbookDepthAsk,
                s.timestamp,
                s.nonce
            )
        );
        return keccak256(abi.encodePacked("\x19\x01", DOMAIN_SEPARATOR, structHash));
    }

    function getReferenceTick(bytes32 _pairId) external view returns (int16) {
        return latestSignals[_pairId].referenceTick;
    }

    // ---- order validation (simplified; called by TreasuryVault only in the real protocol) ----

    function validateOrderPlacement(
        bytes32 _pairId,
        int16 tick,
        uint256 orderSize,
        uint256 vaultBalance,
        uint256 currentPairExposure,
        int16 currentSpread
    ) external view whenNotPaused {
        if (pairCircuitBroken[_pairId]) revert PairCircuitBroken(_pairId);
        if (currentSpread > maxSpreadSanityTicks) revert SpreadSanityExceeded(currentSpread, maxSpreadSanityTicks);
        OracleSignal storage sig = latestSignals[_pairId];
        if (sig.timestamp != 0) {
            uint256 depth = sig.orderbookDepthBid + sig.orderbookDepthAsk;
            if (depth < minDepthThreshold) revert DepthBelowThreshold(depth, minDepthThreshold);
            if (block.timestamp - sig.timestamp > oracleStalenessThreshold) {
                revert StaleOracleData(sig.timestamp, oracleStalenessThreshold);
            }
        }
        int16 absTick = tick < 0 ? -tick : tick;
        if (absTick > maxTickDeviation) revert TickDeviationExceeded(tick, maxTickDeviation);
        if (orderSize > maxOrderSize) revert OrderSizeExceeded(orderSize, maxOrderSize);
        uint256 maxExposure = (vaultBalance * maxExposurePerPairBps) / 1e4;
        if (currentPairExposure + orderSize > maxExposure) {
            revert ExposureLimitExceeded(currentPairExposure + orderSize, maxExposure);
        }
        uint256 required = (vaultBalance * minReserveBps) / 1e4;
        uint256 remaining = vaultBalance - currentPairExposure - orderSize;
        if (remaining < required) revert InsufficientReserve(remaining, required);
    }

    function isImbalanced(uint256 bidExposure, uint256 askExposure) external view returns (bool) {
        uint256 total = bidExposure + askExposure;
        if (total == 0) return false;
        uint256 larger = bidExposure > askExposure ? bidExposure : askExposure;
        return (larger * 1e4) / total > maxImbalanceBps;
    }
}
