// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @notice Test stand-in for a Safe 1.3/1.4 multisig, written from Safe's documented behaviour (not its code):
/// the storage slots `plan --fork` relies on (owners linked list at 2, ownerCount at 3, threshold at 4, nonce
/// at 5), `getOwners`/`getThreshold`/`nonce`, and `execTransaction` with Safe's ABI, its pre-validated
/// signature rule (v = 1: r is an owner that is msg.sender or approved the hash), owners in ascending order,
/// GS0xx reasons, GS013 when the inner call fails with safeTxGas = gasPrice = 0, and ExecutionSuccess/Failure.
/// CALL only; the transaction hash is not Safe's EIP-712 hash.
contract SafeMultisig {
    address internal constant SENTINEL = address(0x1);

    address internal singleton; // slot 0
    mapping(address => address) internal modules; // slot 1
    mapping(address => address) internal owners; // slot 2
    uint256 internal ownerCount; // slot 3
    uint256 internal threshold; // slot 4
    uint256 public nonce; // slot 5
    mapping(address => mapping(bytes32 => uint256)) public approvedHashes;

    event ExecutionSuccess(bytes32 indexed txHash, uint256 payment);
    event ExecutionFailure(bytes32 indexed txHash, uint256 payment);

    constructor(address[] memory _owners, uint256 _threshold) {
        require(_threshold > 0 && _threshold <= _owners.length, "GS201");
        address current = SENTINEL;
        for (uint256 i = 0; i < _owners.length; i++) {
            address o = _owners[i];
            require(o != address(0) && o != SENTINEL && owners[o] == address(0), "GS203");
            owners[current] = o;
            current = o;
        }
        owners[current] = SENTINEL;
        ownerCount = _owners.length;
        threshold = _threshold;
    }

    receive() external payable {}

    function getThreshold() external view returns (uint256) {
        return threshold;
    }

    function isOwner(address o) public view returns (bool) {
        return o != SENTINEL && owners[o] != address(0);
    }

    function getOwners() external view returns (address[] memory out) {
        out = new address[](ownerCount);
        address current = owners[SENTINEL];
        for (uint256 i = 0; current != SENTINEL; i++) {
            out[i] = current;
            current = owners[current];
        }
    }

    function approveHash(bytes32 hashToApprove) external {
        require(isOwner(msg.sender), "GS030");
        approvedHashes[msg.sender][hashToApprove] = 1;
    }

    function getTransactionHash(address to, uint256 value, bytes calldata data, uint8 operation, uint256 safeTxGas,
        uint256 baseGas, uint256 gasPrice, address gasToken, address refundReceiver, uint256 _nonce)
        public view returns (bytes32)
    {
        return keccak256(abi.encode(block.chainid, address(this), to, value, keccak256(data), operation, safeTxGas,
            baseGas, gasPrice, gasToken, refundReceiver, _nonce));
    }

    function execTransaction(address to, uint256 value, bytes calldata data, uint8 operation, uint256 safeTxGas,
        uint256 baseGas, uint256 gasPrice, address gasToken, address payable refundReceiver, bytes calldata signatures)
        external payable returns (bool success)
    {
        require(operation == 0, "CALL only");
        bytes32 txHash = getTransactionHash(to, value, data, operation, safeTxGas, baseGas, gasPrice, gasToken,
            refundReceiver, nonce);
        nonce++;
        checkSignatures(txHash, signatures);
        (success,) = to.call{value: value}(data);
        require(success || safeTxGas != 0 || gasPrice != 0, "GS013");
        if (success) emit ExecutionSuccess(txHash, 0);
        else emit ExecutionFailure(txHash, 0);
    }

    function checkSignatures(bytes32 dataHash, bytes calldata signatures) public view {
        uint256 t = threshold;
        require(t > 0, "GS001");
        require(signatures.length >= t * 65, "GS020");
        address last = address(0);
        for (uint256 i = 0; i < t; i++) {
            address o = address(uint160(uint256(bytes32(signatures[i * 65:i * 65 + 32]))));
            require(uint8(signatures[i * 65 + 64]) == 1, "pre-validated signatures only");
            require(msg.sender == o || approvedHashes[o][dataHash] != 0, "GS025");
            require(o > last && isOwner(o), "GS026");
            last = o;
        }
    }
}
