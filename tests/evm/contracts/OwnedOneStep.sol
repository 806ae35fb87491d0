// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";

/// @notice One-step OZ Ownable: transferOwnership takes effect at once (profile `ownable`).
contract OwnedOneStep is Ownable {
    uint256 public fee;

    constructor(address owner_) Ownable(owner_) {}

    function setFee(uint256 fee_) external onlyOwner {
        fee = fee_;
    }
}
