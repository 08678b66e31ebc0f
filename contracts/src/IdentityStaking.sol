// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Initializable} from "@openzeppelin/contracts-upgradeable/proxy/utils/Initializable.sol";
import {UUPSUpgradeable} from "@openzeppelin/contracts-upgradeable/proxy/utils/UUPSUpgradeable.sol";
import {OwnableUpgradeable} from "@openzeppelin/contracts-upgradeable/access/OwnableUpgradeable.sol";
import {PausableUpgradeable} from "@openzeppelin/contracts-upgradeable/utils/PausableUpgradeable.sol";
import {ReentrancyGuardUpgradeable} from "@openzeppelin/contracts-upgradeable/utils/ReentrancyGuardUpgradeable.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";

import {IIdentityStaking} from "./interfaces/IIdentityStaking.sol";

/// @title IdentityStaking
/// @notice Holds the registration bonds of peaqOS machines in an ERC-20 staking token: on peaq that is WPEAQ, the
///         native-balance ERC-20 precompile at 0x809, so a bond is native PEAQ moved with `transferFrom`.
///         Only `authorize`d callers (the IdentityRegistry) stake, once per machine. There is no withdrawal
///         path: bonds are held permanently (`getStakeInfo` reports no slashes and no unstake request).
/// @dev UUPS upgradeable, ERC-7201 namespaced storage, pausable by the owner (a paused staking makes
///      registration revert with EnforcedPause).
contract IdentityStaking is
    Initializable,
    OwnableUpgradeable,
    PausableUpgradeable,
    ReentrancyGuardUpgradeable,
    UUPSUpgradeable,
    IIdentityStaking
{
    using SafeERC20 for IERC20;

    /// @notice Lifecycle of a stake. Only None and Active occur: nothing unstakes or slashes.
    enum StakeStatus {
        None,
        Active
    }

    /// @custom:storage-location erc7201:peaqos.storage.IdentityStaking
    struct IdentityStakingStorage {
        IERC20 stakingToken;
        uint256 totalStaked;
        mapping(address caller => bool) authorized;
        mapping(uint256 machineId => uint256 amount) stakes;
    }

    // keccak256(abi.encode(uint256(keccak256("peaqos.storage.IdentityStaking")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 private constant IDENTITY_STAKING_STORAGE_LOCATION =
        0xfa8aadc53a587eec03389ae2c59fc92ea7d8f8aba7d6f332b3f73a5c52f4d400;

    event Staked(uint256 indexed machineId, address indexed owner, uint256 amount);
    event Authorized(address indexed addr);
    event Revoked(address indexed addr);

    error NotAuthorized();
    error AmountZero();
    error AlreadyStaked();
    error InvalidAddress();

    /// @custom:oz-upgrades-unsafe-allow constructor
    constructor() {
        _disableInitializers();
    }

    /// @param _stakingToken the ERC-20 bonds are paid in (WPEAQ, 0x809, on peaq)
    /// @param _owner contract owner (authorizes stakers, pauses, upgrades)
    function initialize(address _stakingToken, address _owner) external initializer {
        if (_stakingToken == address(0)) revert InvalidAddress();
        __Ownable_init(_owner);
        __Pausable_init();
        __ReentrancyGuard_init();
        __UUPSUpgradeable_init();
        _getStorage().stakingToken = IERC20(_stakingToken);
    }

    /// @notice Allow `addr` to call `stakeFor` (owner only).
    function authorize(address addr) external onlyOwner {
        if (addr == address(0)) revert InvalidAddress();
        _getStorage().authorized[addr] = true;
        emit Authorized(addr);
    }

    /// @notice Withdraw the right to call `stakeFor` (owner only).
    function revoke(address addr) external onlyOwner {
        _getStorage().authorized[addr] = false;
        emit Revoked(addr);
    }

    /// @notice Stake `amount` of the staking token as the bond of `machineId`, pulled from the caller with
    ///         `transferFrom` (the caller must have approved this contract). Authorized callers only, once per
    ///         machine.
    /// @dev Check order: EnforcedPause, NotAuthorized, InvalidAddress (owner_ zero), AmountZero, AlreadyStaked.
    function stakeFor(uint256 machineId, address owner_, uint256 amount) external whenNotPaused nonReentrant {
        IdentityStakingStorage storage $ = _getStorage();
        if (!$.authorized[msg.sender]) revert NotAuthorized();
        if (owner_ == address(0)) revert InvalidAddress();
        if (amount == 0) revert AmountZero();
        if ($.stakes[machineId] != 0) revert AlreadyStaked();
        $.stakes[machineId] = amount;
        $.totalStaked += amount;
        $.stakingToken.safeTransferFrom(msg.sender, address(this), amount);
        emit Staked(machineId, owner_, amount);
    }

    function pause() external onlyOwner {
        _pause();
    }

    function unpause() external onlyOwner {
        _unpause();
    }

    function isAuthorized(address addr) external view returns (bool) {
        return _getStorage().authorized[addr];
    }

    function isStaked(uint256 machineId) external view returns (bool) {
        return _getStorage().stakes[machineId] != 0;
    }

    function getStake(uint256 machineId) external view returns (uint256) {
        return _getStorage().stakes[machineId];
    }

    /// @notice Amount, status, slash count and unstake request time of a machine's stake.
    function getStakeInfo(uint256 machineId)
        external
        view
        returns (uint256 amount, StakeStatus status, uint32 slashCount, uint64 unstakeRequestTime)
    {
        amount = _getStorage().stakes[machineId];
        status = amount == 0 ? StakeStatus.None : StakeStatus.Active;
        (slashCount, unstakeRequestTime) = (0, 0);
    }

    function totalStaked() external view returns (uint256) {
        return _getStorage().totalStaked;
    }

    function stakingToken() external view returns (address) {
        return address(_getStorage().stakingToken);
    }

    function _authorizeUpgrade(address) internal override onlyOwner {}

    function _getStorage() private pure returns (IdentityStakingStorage storage $) {
        assembly {
            $.slot := IDENTITY_STAKING_STORAGE_LOCATION
        }
    }
}
