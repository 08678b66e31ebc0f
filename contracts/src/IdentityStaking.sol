// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Initializable} from "@openzeppelin/contracts-upgradeable/proxy/utils/Initializable.sol";
import {UUPSUpgradeable} from "@openzeppelin/contracts-upgradeable/proxy/utils/UUPSUpgradeable.sol";
import {OwnableUpgradeable} from "@openzeppelin/contracts-upgradeable/access/OwnableUpgradeable.sol";
import {PausableUpgradeable} from "@openzeppelin/contracts-upgradeable/utils/PausableUpgradeable.sol";

import {IIdentityStaking} from "./interfaces/IIdentityStaking.sol";

/// @title IdentityStaking
/// @notice Holds the registration bonds of peaqOS machines in native PEAQ. Only IdentityRegistry can stake, once
///         per machine. There is deliberately no withdrawal path: bonds are held permanently.
/// @dev UUPS upgradeable, ERC-7201 namespaced storage, pausable by the owner (a paused staking makes
///      registration revert with EnforcedPause). The contract has no receive/fallback: plain transfers revert.
contract IdentityStaking is Initializable, OwnableUpgradeable, PausableUpgradeable, UUPSUpgradeable, IIdentityStaking {
    /// @custom:storage-location erc7201:peaqos.storage.IdentityStaking
    struct IdentityStakingStorage {
        address identityRegistry;
        uint256 totalStaked;
        mapping(uint256 machineId => uint256) bonds;
    }

    // keccak256(abi.encode(uint256(keccak256("peaqos.storage.IdentityStaking")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 private constant IDENTITY_STAKING_STORAGE_LOCATION =
        0xfa8aadc53a587eec03389ae2c59fc92ea7d8f8aba7d6f332b3f73a5c52f4d400;

    event Staked(uint256 indexed machineId, uint256 amount);
    event IdentityRegistryUpdated(address indexed oldRegistry, address indexed newRegistry);

    error NotIdentityRegistry();
    error AmountZero();
    error AlreadyStaked(uint256 machineId);
    error InvalidAddress();

    /// @custom:oz-upgrades-unsafe-allow constructor
    constructor() {
        _disableInitializers();
    }

    function initialize(address owner_) external initializer {
        __Ownable_init(owner_);
        __Pausable_init();
        __UUPSUpgradeable_init();
    }

    /// @notice Set the IdentityRegistry allowed to call `stakeFor` (owner only).
    function setIdentityRegistry(address registry) external onlyOwner {
        if (registry == address(0)) revert InvalidAddress();
        IdentityStakingStorage storage $ = _getStorage();
        address old = $.identityRegistry;
        $.identityRegistry = registry;
        emit IdentityRegistryUpdated(old, registry);
    }

    /// @notice Stake msg.value as the bond of `machineId`. Only the IdentityRegistry, once per machine.
    function stakeFor(uint256 machineId) external payable whenNotPaused {
        IdentityStakingStorage storage $ = _getStorage();
        if (msg.sender != $.identityRegistry) revert NotIdentityRegistry();
        if (msg.value == 0) revert AmountZero();
        if ($.bonds[machineId] != 0) revert AlreadyStaked(machineId);
        $.bonds[machineId] = msg.value;
        $.totalStaked += msg.value;
        emit Staked(machineId, msg.value);
    }

    function pause() external onlyOwner {
        _pause();
    }

    function unpause() external onlyOwner {
        _unpause();
    }

    function isStaked(uint256 machineId) external view returns (bool) {
        return _getStorage().bonds[machineId] != 0;
    }

    function bondOf(uint256 machineId) external view returns (uint256) {
        return _getStorage().bonds[machineId];
    }

    function totalStaked() external view returns (uint256) {
        return _getStorage().totalStaked;
    }

    function identityRegistry() external view returns (address) {
        return _getStorage().identityRegistry;
    }

    function _authorizeUpgrade(address) internal override onlyOwner {}

    function _getStorage() private pure returns (IdentityStakingStorage storage $) {
        assembly {
            $.slot := IDENTITY_STAKING_STORAGE_LOCATION
        }
    }
}
