// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IIdentityStaking
/// @notice The part of IdentityStaking that the other peaqOS contracts call.
interface IIdentityStaking {
    function stakeFor(uint256 machineId) external payable;

    function isStaked(uint256 machineId) external view returns (bool);

    function bondOf(uint256 machineId) external view returns (uint256);
}
