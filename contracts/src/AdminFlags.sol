// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Initializable} from "@openzeppelin/contracts-upgradeable/proxy/utils/Initializable.sol";
import {UUPSUpgradeable} from "@openzeppelin/contracts-upgradeable/proxy/utils/UUPSUpgradeable.sol";
import {OwnableUpgradeable} from "@openzeppelin/contracts-upgradeable/access/OwnableUpgradeable.sol";

/// @title AdminFlags
/// @notice Admin-set per-machine negative flags and trust-level overrides, read by the MCR API server.
///         All writes are owner-only and every change emits an event.
/// @dev UUPS upgradeable, ERC-7201 namespaced storage. Machine ids are not checked against IdentityRegistry.
contract AdminFlags is Initializable, OwnableUpgradeable, UUPSUpgradeable {
    /// @dev One slot per machine: flag (1 byte) + flag time (8) + override set (1) + override value (1).
    struct Entry {
        bool flagged;
        uint64 flaggedAt;
        bool overrideSet;
        uint8 overrideValue;
    }

    /// @custom:storage-location erc7201:peaqos.storage.AdminFlags
    struct AdminFlagsStorage {
        mapping(uint256 machineId => Entry) entries;
    }

    // keccak256(abi.encode(uint256(keccak256("peaqos.storage.AdminFlags")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 private constant ADMIN_FLAGS_STORAGE_LOCATION =
        0x27b240524cd0dbdbfcff0485789c107869528bce8dd57855f5b7f274c5a13c00;

    uint256 public constant MAX_TRUST_OVERRIDE = 100;

    event MachineFlagged(uint256 indexed machineId, uint256 flaggedAt);
    event FlagCleared(uint256 indexed machineId);
    event TrustOverrideSet(uint256 indexed machineId, uint256 value);
    event TrustOverrideCleared(uint256 indexed machineId);

    error InvalidTrustOverride(uint256 value);

    /// @custom:oz-upgrades-unsafe-allow constructor
    constructor() {
        _disableInitializers();
    }

    function initialize(address owner_) external initializer {
        __Ownable_init(owner_);
        __UUPSUpgradeable_init();
    }

    /// @notice Flag a machine (negative flag); the flag time is block.timestamp (re-flagging refreshes it).
    function flagMachine(uint256 machineId) external onlyOwner {
        Entry storage e = _getStorage().entries[machineId];
        e.flagged = true;
        e.flaggedAt = uint64(block.timestamp);
        emit MachineFlagged(machineId, block.timestamp);
    }

    function clearFlag(uint256 machineId) external onlyOwner {
        Entry storage e = _getStorage().entries[machineId];
        e.flagged = false;
        e.flaggedAt = 0;
        emit FlagCleared(machineId);
    }

    /// @notice Override the machine's trust value; `value` must be 0..100 (InvalidTrustOverride otherwise).
    function setTrustOverride(uint256 machineId, uint256 value) external onlyOwner {
        if (value > MAX_TRUST_OVERRIDE) revert InvalidTrustOverride(value);
        Entry storage e = _getStorage().entries[machineId];
        e.overrideSet = true;
        e.overrideValue = uint8(value);
        emit TrustOverrideSet(machineId, value);
    }

    function clearTrustOverride(uint256 machineId) external onlyOwner {
        Entry storage e = _getStorage().entries[machineId];
        e.overrideSet = false;
        e.overrideValue = 0;
        emit TrustOverrideCleared(machineId);
    }

    function isFlagged(uint256 machineId) external view returns (bool) {
        return _getStorage().entries[machineId].flagged;
    }

    /// @notice Time the machine was flagged; 0 when it is not flagged.
    function flaggedAt(uint256 machineId) external view returns (uint256) {
        return _getStorage().entries[machineId].flaggedAt;
    }

    function trustOverrideOf(uint256 machineId) external view returns (bool set, uint256 value) {
        Entry storage e = _getStorage().entries[machineId];
        return (e.overrideSet, e.overrideValue);
    }

    function _authorizeUpgrade(address) internal override onlyOwner {}

    function _getStorage() private pure returns (AdminFlagsStorage storage $) {
        assembly {
            $.slot := ADMIN_FLAGS_STORAGE_LOCATION
        }
    }
}
