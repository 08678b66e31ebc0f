// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IIdentityRegistry
/// @notice The part of IdentityRegistry that EventRegistry and MachineNFT read (peaq's published surface).
interface IIdentityRegistry {
    /// @notice Owner (the registrant), wallet (the machine address), existence and status of a machine.
    /// @dev `status_` is the `MachineStatus` enum as uint8 (0 None, 1 Pending, 2 Verified, 3 Rejected,
    ///      4 Deactivated). For an unknown id everything is zero/false.
    function getVerificationInfo(uint256 machineId)
        external
        view
        returns (address owner_, address wallet_, bool exists_, uint8 status_);

    /// @notice The machine's status (0 for an unknown id).
    function getMachineStatus(uint256 machineId) external view returns (uint8);

    /// @notice The machine address; zero for an unknown id.
    function machineWalletOf(uint256 machineId) external view returns (address);
}
