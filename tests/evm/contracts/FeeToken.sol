// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @notice TIP-20-like 6-decimal stablecoin ("pathUSD") used as the fee token in tests.
contract FeeToken is ERC20 {
    address public immutable owner;

    error NotOwner(address caller);

    constructor() ERC20("pathUSD", "pathUSD") {
        owner = msg.sender;
    }

    function decimals() public pure override returns (uint8) {
        return 6;
    }

    function mint(address to, uint256 amount) external {
        if (msg.sender != owner) revert NotOwner(msg.sender);
        _mint(to, amount);
    }
}
