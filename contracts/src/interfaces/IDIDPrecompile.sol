// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IDIDPrecompile
/// @notice The read side of peaq's DID precompile (0x0000000000000000000000000000000000000800).
interface IDIDPrecompile {
    struct Attribute {
        bytes name;
        bytes value;
        uint32 validity;
        uint256 created;
    }

    /// @dev Reverts "Cannot find the item" when `name` is not set on `didAccount`.
    function readAttribute(address didAccount, bytes calldata name) external view returns (Attribute memory);
}
