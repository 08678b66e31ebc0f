// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @notice The part of EntryPoint v0.6 that a machine smart account uses.
interface IEntryPointV06 {
    function withdrawTo(address payable withdrawAddress, uint256 withdrawAmount) external;

    function balanceOf(address account) external view returns (uint256);
}
