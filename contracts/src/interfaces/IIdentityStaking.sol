// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IIdentityStaking
/// @notice The part of IdentityStaking that the other peaqOS contracts call.
interface IIdentityStaking {
    function stakeFor(uint256 machineId, address owner_, uint256 amount) external;

    function isStaked(uint256 machineId) external view returns (bool);
}
