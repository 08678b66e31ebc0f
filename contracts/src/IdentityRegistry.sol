// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Initializable} from "@openzeppelin/contracts-upgradeable/proxy/utils/Initializable.sol";
import {UUPSUpgradeable} from "@openzeppelin/contracts-upgradeable/proxy/utils/UUPSUpgradeable.sol";
import {OwnableUpgradeable} from "@openzeppelin/contracts-upgradeable/access/OwnableUpgradeable.sol";
import {ERC721Upgradeable} from "@openzeppelin/contracts-upgradeable/token/ERC721/ERC721Upgradeable.sol";
import {Strings} from "@openzeppelin/contracts/utils/Strings.sol";

import {IIdentityRegistry} from "./interfaces/IIdentityRegistry.sol";
import {IIdentityStaking} from "./interfaces/IIdentityStaking.sol";

/// @title IdentityRegistry
/// @notice Central machine identity registry of peaqOS. Registration takes a bond of exactly `minBond` native
///         PEAQ, forwards it to IdentityStaking and mints a soulbound Identity NFT (tokenId == machineId) to
///         the machine address. `tokenURI` points at the machine's Machine Card on the MCR API.
/// @dev UUPS upgradeable, ERC-7201 namespaced storage. Only the owner can upgrade.
contract IdentityRegistry is Initializable, ERC721Upgradeable, OwnableUpgradeable, UUPSUpgradeable, IIdentityRegistry {
    using Strings for uint256;

    enum MachineStatus {
        None,
        Pending,
        Verified,
        Rejected,
        Deactivated
    }

    /// @dev One storage slot: wallet (20 bytes) + status (1) + selfOperated (1). When `selfOperated` is true the
    ///      operator is the wallet itself and `operator` is never written, so `machineAuth` costs one SLOAD.
    struct Machine {
        address wallet;
        MachineStatus status;
        bool selfOperated;
    }

    /// @custom:storage-location erc7201:peaqos.storage.IdentityRegistry
    struct IdentityRegistryStorage {
        uint256 minBond;
        uint256 nextMachineId;
        address staking;
        string baseURI;
        mapping(uint256 machineId => Machine) machines;
        mapping(uint256 machineId => address) operators;
        mapping(address machine => uint256) machineIds;
    }

    // keccak256(abi.encode(uint256(keccak256("peaqos.storage.IdentityRegistry")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 private constant IDENTITY_REGISTRY_STORAGE_LOCATION =
        0x94be898d13b0f755536e61eeea461247b00822556f7ad9c58d30311f6f471c00;

    // ---------------------------------------------------------------- events

    event Registered(uint256 indexed machineId, address indexed machine, address indexed operator, uint256 bond);
    event MinBondUpdated(uint256 oldMinBond, uint256 newMinBond);
    event MachineStatusChanged(uint256 indexed machineId, uint8 oldStatus, uint8 newStatus);
    event BaseURIUpdated(string baseURI);

    // ---------------------------------------------------------------- errors

    error IncorrectBondAmount(uint256 sent, uint256 required);
    error AlreadyRegistered(address machine);
    error InvalidMachineAddress();
    error InvalidAddress();
    error MachineNotFound(uint256 machineId);
    error InvalidMachineStatus(uint8 status);
    error IdentityNFTSoulbound();

    // ---------------------------------------------------------------- setup

    /// @custom:oz-upgrades-unsafe-allow constructor
    constructor() {
        _disableInitializers();
    }

    /// @param owner_ contract owner (may upgrade, set the bond, statuses and base URI)
    /// @param staking_ IdentityStaking proxy that receives every bond
    /// @param minBond_ exact bond required by register/registerFor (1e18 = 1 PEAQ on the devnet)
    /// @param baseURI_ MCR API base, tokenURI(id) = `{baseURI}/machines/{id}`
    function initialize(address owner_, address staking_, uint256 minBond_, string calldata baseURI_)
        external
        initializer
    {
        if (staking_ == address(0)) revert InvalidAddress();
        __ERC721_init("peaqOS Identity", "PEAQID");
        __Ownable_init(owner_);
        __UUPSUpgradeable_init();
        IdentityRegistryStorage storage $ = _getStorage();
        $.staking = staking_;
        $.minBond = minBond_;
        $.nextMachineId = 1;
        $.baseURI = baseURI_;
        emit MinBondUpdated(0, minBond_);
        emit BaseURIUpdated(baseURI_);
    }

    // ---------------------------------------------------------------- registration

    /// @notice Register msg.sender as a machine (it is its own operator). msg.value must equal `minBond`.
    /// @return machineId the new machine id (ids start at 1)
    function register() external payable returns (uint256 machineId) {
        return _register(msg.sender, msg.sender);
    }

    /// @notice Register `machine` with msg.sender as its operator. msg.value must equal `minBond`.
    /// @return machineId the new machine id
    function registerFor(address machine) external payable returns (uint256 machineId) {
        return _register(machine, msg.sender);
    }

    function _register(address machine, address operator) private returns (uint256 machineId) {
        if (machine == address(0)) revert InvalidMachineAddress();
        IdentityRegistryStorage storage $ = _getStorage();
        if ($.machineIds[machine] != 0) revert AlreadyRegistered(machine);
        uint256 required = $.minBond;
        if (msg.value != required) revert IncorrectBondAmount(msg.value, required);

        machineId = $.nextMachineId;
        $.nextMachineId = machineId + 1;
        $.machineIds[machine] = machineId;
        bool self = machine == operator;
        $.machines[machineId] = Machine({wallet: machine, status: MachineStatus.Pending, selfOperated: self});
        if (!self) $.operators[machineId] = operator;

        _mint(machine, machineId);
        IIdentityStaking($.staking).stakeFor{value: msg.value}(machineId);

        emit Registered(machineId, machine, operator, msg.value);
    }

    // ---------------------------------------------------------------- owner

    function setMinBond(uint256 newMinBond) external onlyOwner {
        IdentityRegistryStorage storage $ = _getStorage();
        uint256 old = $.minBond;
        $.minBond = newMinBond;
        emit MinBondUpdated(old, newMinBond);
    }

    /// @notice Set a machine's status. Setting `None` is not allowed (InvalidMachineStatus).
    function setMachineStatus(uint256 machineId, MachineStatus status) external onlyOwner {
        if (status == MachineStatus.None) revert InvalidMachineStatus(uint8(status));
        _setStatus(machineId, status);
    }

    /// @notice Deactivate a machine: EventRegistry then refuses its events (MachineDeactivated).
    function deactivate(uint256 machineId) external onlyOwner {
        _setStatus(machineId, MachineStatus.Deactivated);
    }

    function setBaseURI(string calldata newBaseURI) external onlyOwner {
        _getStorage().baseURI = newBaseURI;
        emit BaseURIUpdated(newBaseURI);
    }

    function _setStatus(uint256 machineId, MachineStatus status) private {
        Machine storage m = _getStorage().machines[machineId];
        MachineStatus old = m.status;
        if (old == MachineStatus.None) revert MachineNotFound(machineId);
        m.status = status;
        emit MachineStatusChanged(machineId, uint8(old), uint8(status));
    }

    // ---------------------------------------------------------------- views

    /// @inheritdoc IIdentityRegistry
    function machineAuth(uint256 machineId) external view returns (address wallet, address operator, uint8 status) {
        IdentityRegistryStorage storage $ = _getStorage();
        Machine storage m = $.machines[machineId];
        wallet = m.wallet;
        status = uint8(m.status);
        operator = m.selfOperated ? wallet : $.operators[machineId];
    }

    function minBond() external view returns (uint256) {
        return _getStorage().minBond;
    }

    function nextMachineId() external view returns (uint256) {
        return _getStorage().nextMachineId;
    }

    /// @inheritdoc IIdentityRegistry
    function machineIdOf(address machine) external view returns (uint256) {
        return _getStorage().machineIds[machine];
    }

    /// @notice Machine wallet (= Identity NFT holder, the NFT being soulbound); zero for an unknown id.
    function machineWalletOf(uint256 machineId) external view returns (address) {
        return _getStorage().machines[machineId].wallet;
    }

    /// @notice Operator (the account that registered the machine); zero for an unknown id.
    function operatorOf(uint256 machineId) external view returns (address) {
        IdentityRegistryStorage storage $ = _getStorage();
        Machine storage m = $.machines[machineId];
        return m.selfOperated ? m.wallet : $.operators[machineId];
    }

    function machineStatus(uint256 machineId) external view returns (MachineStatus) {
        return _getStorage().machines[machineId].status;
    }

    /// @inheritdoc IIdentityRegistry
    function machineExists(uint256 machineId) external view returns (bool) {
        return _getStorage().machines[machineId].status != MachineStatus.None;
    }

    function staking() external view returns (address) {
        return _getStorage().staking;
    }

    function baseURI() external view returns (string memory) {
        return _getStorage().baseURI;
    }

    /// @notice `{baseURI}/machines/{machineId}`; reverts ERC721NonexistentToken for an unknown id.
    function tokenURI(uint256 tokenId) public view override returns (string memory) {
        _requireOwned(tokenId);
        return string.concat(_getStorage().baseURI, "/machines/", tokenId.toString());
    }

    // ---------------------------------------------------------------- soulbound

    /// @dev Only minting is allowed; any transfer (or burn) of an Identity NFT reverts.
    function _update(address to, uint256 tokenId, address auth) internal override returns (address) {
        if (_ownerOf(tokenId) != address(0)) revert IdentityNFTSoulbound();
        return super._update(to, tokenId, auth);
    }

    /// @dev Identity NFTs cannot be approved: they can never move.
    function approve(address, uint256) public pure override {
        revert IdentityNFTSoulbound();
    }

    /// @dev Identity NFTs cannot be approved: they can never move.
    function setApprovalForAll(address, bool) public pure override {
        revert IdentityNFTSoulbound();
    }

    // ---------------------------------------------------------------- upgrade

    function _authorizeUpgrade(address) internal override onlyOwner {}

    function _getStorage() private pure returns (IdentityRegistryStorage storage $) {
        assembly {
            $.slot := IDENTITY_REGISTRY_STORAGE_LOCATION
        }
    }
}
