// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";

/// @notice OZ Ownable2Step: the new owner must acceptOwnership() (profile `ownable`).
contract OwnedTwoStep is Ownable2Step {
    constructor(address owner_) Ownable(owner_) {}
}
