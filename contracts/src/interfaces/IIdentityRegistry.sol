// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IIdentityRegistry
/// @notice The part of IdentityRegistry that EventRegistry and MachineNFT read.
interface IIdentityRegistry {
    /// @notice Wallet, operator and status of a machine in one call.
    /// @dev `status` is the `MachineStatus` enum as uint8 (0 None, 1 Pending, 2 Verified, 3 Rejected, 4 Deactivated).
    ///      For an unknown id all three are zero.
    function machineAuth(uint256 machineId) external view returns (address wallet, address operator, uint8 status);

    function machineIdOf(address machine) external view returns (uint256);

    function machineExists(uint256 machineId) external view returns (bool);
}
