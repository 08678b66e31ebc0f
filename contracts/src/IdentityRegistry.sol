// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Initializable} from "@openzeppelin/contracts-upgradeable/proxy/utils/Initializable.sol";
import {UUPSUpgradeable} from "@openzeppelin/contracts-upgradeable/proxy/utils/UUPSUpgradeable.sol";
import {OwnableUpgradeable} from "@openzeppelin/contracts-upgradeable/access/OwnableUpgradeable.sol";
import {ERC721Upgradeable} from "@openzeppelin/contracts-upgradeable/token/ERC721/ERC721Upgradeable.sol";
import {ReentrancyGuardUpgradeable} from "@openzeppelin/contracts-upgradeable/utils/ReentrancyGuardUpgradeable.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Strings} from "@openzeppelin/contracts/utils/Strings.sol";

import {IIdentityStaking} from "./interfaces/IIdentityStaking.sol";
import {IDIDPrecompile} from "./interfaces/IDIDPrecompile.sol";

/// @title IdentityRegistry
/// @notice Machine identity registry of peaqOS with peaq's published surface. `register()` registers msg.sender
///         as its own machine; `registerFor(machine)` registers `machine` with msg.sender (a proxy operator) as
///         its owner. Either takes a bond of exactly `minBond()` as msg.value, staked through IdentityStaking in
///         WPEAQ (the native-balance ERC-20 at 0x809, so the native value the registry received is pulled by
///         `transferFrom`), and mints a soulbound Identity NFT (tokenId == machineId) to the machine address.
///         `tokenURI` points at the machine's Machine Card on the MCR API; `getMetadata` reads the machine's DID
///         attributes through the DID precompile (ERC-8004 metadata).
/// @dev UUPS upgradeable, ERC-7201 namespaced storage. Only the owner can upgrade.
contract IdentityRegistry is
    Initializable,
    ERC721Upgradeable,
    OwnableUpgradeable,
    ReentrancyGuardUpgradeable,
    UUPSUpgradeable
{
    using Strings for uint256;
    using SafeERC20 for IERC20;

    enum MachineStatus {
        None,
        Pending,
        Verified,
        Rejected,
        Deactivated
    }

    /// @dev One slot: wallet (20 bytes) + status (1) + status before deactivation (1) + selfOwned (1). A
    ///      self-registered machine is its own owner and `owners` is never written, so `getVerificationInfo`
    ///      costs one SLOAD for it.
    struct Machine {
        address wallet;
        MachineStatus status;
        MachineStatus statusBeforeDeactivation;
        bool selfOwned;
    }

    /// @custom:storage-location erc7201:peaqos.storage.IdentityRegistry
    struct IdentityRegistryStorage {
        uint256 minBond;
        uint256 totalMachines;
        address staking;
        address wpeaq;
        address didPrecompile;
        string baseURI;
        mapping(uint256 machineId => Machine) machines;
        mapping(uint256 machineId => address) owners;
        mapping(address wallet => uint256) machineIds;
    }

    // keccak256(abi.encode(uint256(keccak256("peaqos.storage.IdentityRegistry")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 private constant IDENTITY_REGISTRY_STORAGE_LOCATION =
        0x94be898d13b0f755536e61eeea461247b00822556f7ad9c58d30311f6f471c00;

    /// @notice Lowest bond `setMinBond` accepts: 1 PEAQ.
    uint256 public constant MIN_BOND_FLOOR = 1 ether;

    /// @dev peaq's DID precompile, the default of `getDIDPrecompile`.
    address private constant DEFAULT_DID_PRECOMPILE = 0x0000000000000000000000000000000000000800;

    // ---------------------------------------------------------------- events

    event Registered(uint256 indexed machineId, string machineURI, address indexed owner);
    event OperatorSet(uint256 indexed machineId, address indexed operator);
    event MachineVerified(uint256 indexed machineId);
    event MachineRejected(uint256 indexed machineId);
    event MachineDeactivated(uint256 indexed machineId, address indexed by);
    event MachineReactivated(uint256 indexed machineId, address indexed by);
    event MinBondChanged(uint256 indexed newMinBond);
    event BaseURISet(string baseURI);
    event IdentityStakingSet(address indexed staking);
    event WPEAQSet(address indexed wpeaq);

    // ---------------------------------------------------------------- errors

    error AlreadyRegistered();
    error InvalidMachineAddress();
    error IncorrectBondAmount();
    /// @dev Part of peaq's published surface; never raised here: a machine address binds to one identity and a
    ///      second registration of it reverts AlreadyRegistered.
    error WalletAlreadyBound(address wallet);
    /// @dev Part of peaq's published surface; never raised here: the bond can never be zero
    ///      (`MIN_BOND_FLOOR` > 0).
    error BondNotRequired();
    error BondBelowFloor();
    error ContractNotConfigured();
    error InvalidAddress();
    error InvalidStatus();
    error MachineNotFound();
    error NotMachineOwner();
    error IdentityNFTSoulbound();
    error ETHTransferFailed();

    // ---------------------------------------------------------------- setup

    /// @custom:oz-upgrades-unsafe-allow constructor
    constructor() {
        _disableInitializers();
    }

    /// @param initialOwner contract owner. The bond starts at 1 PEAQ and the DID precompile at 0x800; staking
    ///        and WPEAQ must be set (`setIdentityStaking`, `setWPEAQ`) before anyone can register.
    function initialize(address initialOwner) external initializer {
        __ERC721_init("peaqOS Identity", "PEAQID");
        __Ownable_init(initialOwner);
        __ReentrancyGuard_init();
        __UUPSUpgradeable_init();
        IdentityRegistryStorage storage $ = _getStorage();
        $.minBond = MIN_BOND_FLOOR;
        $.didPrecompile = DEFAULT_DID_PRECOMPILE;
        emit MinBondChanged(MIN_BOND_FLOOR);
    }

    // ---------------------------------------------------------------- registration

    /// @notice Register msg.sender as a machine that owns itself. msg.value must equal `minBond()`.
    /// @return machineId the new machine id (ids start at 1)
    function register() external payable nonReentrant returns (uint256) {
        return _register(msg.sender, msg.sender);
    }

    /// @notice Register `machine` with msg.sender as its owner (proxy operator). msg.value must equal `minBond()`.
    /// @return machineId the new machine id
    function registerFor(address machine) external payable nonReentrant returns (uint256) {
        if (machine == address(0)) revert InvalidMachineAddress();
        return _register(machine, msg.sender);
    }

    /// @dev Check order: ContractNotConfigured (staking or WPEAQ unset), AlreadyRegistered (the machine address
    ///      already has an identity, for `register` and `registerFor` alike: peaq's CLI recovers from exactly this
    ///      name), IncorrectBondAmount (msg.value != minBond).
    function _register(address machine, address owner_) private returns (uint256 machineId) {
        IdentityRegistryStorage storage $ = _getStorage();
        address staking = $.staking;
        address wpeaq = $.wpeaq;
        if (staking == address(0) || wpeaq == address(0)) revert ContractNotConfigured();
        if ($.machineIds[machine] != 0) revert AlreadyRegistered();
        uint256 bond = $.minBond;
        if (msg.value != bond) revert IncorrectBondAmount();

        machineId = ++$.totalMachines;
        bool selfOwned = machine == owner_;
        $.machineIds[machine] = machineId;
        $.machines[machineId] = Machine({
            wallet: machine,
            status: MachineStatus.Pending,
            statusBeforeDeactivation: MachineStatus.None,
            selfOwned: selfOwned
        });
        if (!selfOwned) $.owners[machineId] = owner_;
        _mint(machine, machineId);

        // The bond: the native value this contract just received is its WPEAQ balance (0x809 wraps nothing).
        IERC20(wpeaq).forceApprove(staking, bond);
        IIdentityStaking(staking).stakeFor(machineId, owner_, bond);

        emit Registered(machineId, _machineURI(machineId), owner_);
        if (!selfOwned) emit OperatorSet(machineId, owner_);
    }

    // ---------------------------------------------------------------- status

    /// @notice Pending or Rejected -> Verified (contract owner).
    function verifyMachine(uint256 machineId) external onlyOwner {
        Machine storage m = _existing(machineId);
        if (m.status != MachineStatus.Pending && m.status != MachineStatus.Rejected) revert InvalidStatus();
        m.status = MachineStatus.Verified;
        emit MachineVerified(machineId);
    }

    /// @notice Pending or Verified -> Rejected (contract owner).
    function rejectMachine(uint256 machineId) external onlyOwner {
        Machine storage m = _existing(machineId);
        if (m.status != MachineStatus.Pending && m.status != MachineStatus.Verified) revert InvalidStatus();
        m.status = MachineStatus.Rejected;
        emit MachineRejected(machineId);
    }

    /// @notice Deactivate a machine (contract owner or the machine's owner). EventRegistry then refuses its events.
    function deactivateMachine(uint256 machineId) external {
        Machine storage m = _existing(machineId);
        _requireOwnerOrMachineOwner(machineId, m);
        if (m.status == MachineStatus.Deactivated) revert InvalidStatus();
        m.statusBeforeDeactivation = m.status;
        m.status = MachineStatus.Deactivated;
        emit MachineDeactivated(machineId, msg.sender);
    }

    /// @notice Undo `deactivateMachine`: the machine gets back the status it had (contract owner or machine owner).
    function reactivateMachine(uint256 machineId) external {
        Machine storage m = _existing(machineId);
        _requireOwnerOrMachineOwner(machineId, m);
        if (m.status != MachineStatus.Deactivated) revert InvalidStatus();
        m.status = m.statusBeforeDeactivation;
        m.statusBeforeDeactivation = MachineStatus.None;
        emit MachineReactivated(machineId, msg.sender);
    }

    // ---------------------------------------------------------------- owner

    function setMinBond(uint256 _minBond) external onlyOwner {
        if (_minBond < MIN_BOND_FLOOR) revert BondBelowFloor();
        _getStorage().minBond = _minBond;
        emit MinBondChanged(_minBond);
    }

    function setIdentityStaking(address _staking) external onlyOwner {
        if (_staking == address(0)) revert InvalidAddress();
        _getStorage().staking = _staking;
        emit IdentityStakingSet(_staking);
    }

    function setWPEAQ(address _wpeaq) external onlyOwner {
        if (_wpeaq == address(0)) revert InvalidAddress();
        _getStorage().wpeaq = _wpeaq;
        emit WPEAQSet(_wpeaq);
    }

    function setDIDPrecompile(address _did) external onlyOwner {
        if (_did == address(0)) revert InvalidAddress();
        _getStorage().didPrecompile = _did;
    }

    /// @notice Base of `tokenURI`: `{baseURI}/machines/{machineId}` (the MCR API's Machine Card).
    function setBaseURI(string calldata newBaseURI) external onlyOwner {
        _getStorage().baseURI = newBaseURI;
        emit BaseURISet(newBaseURI);
    }

    /// @notice Send native value held by this contract (never bonds: those sit in IdentityStaking) to `to`.
    function rescueETH(address payable to, uint256 amount) external onlyOwner nonReentrant {
        if (to == address(0)) revert InvalidAddress();
        (bool ok,) = to.call{value: amount}("");
        if (!ok) revert ETHTransferFailed();
    }

    // ---------------------------------------------------------------- views

    /// @notice Owner (the registrant), wallet (the machine address), existence and status of a machine.
    function getVerificationInfo(uint256 machineId)
        external
        view
        returns (address owner_, address wallet_, bool exists_, uint8 status_)
    {
        Machine storage m = _getStorage().machines[machineId];
        wallet_ = m.wallet;
        status_ = uint8(m.status);
        exists_ = m.status != MachineStatus.None;
        owner_ = _ownerOf(machineId, m);
    }

    /// @notice The machine's owner (its registrant) and whether the machine exists.
    function getOwnerIfExists(uint256 machineId) external view returns (address owner_, bool exists_) {
        Machine storage m = _getStorage().machines[machineId];
        exists_ = m.status != MachineStatus.None;
        owner_ = _ownerOf(machineId, m);
    }

    /// @notice Machine id whose Identity NFT `owner` holds, i.e. of the machine address; 0 when none.
    function machineIdOfOwner(address owner) external view returns (uint256) {
        return _getStorage().machineIds[owner];
    }

    /// @notice The machine address (its wallet, holder of the soulbound Identity NFT); zero for an unknown id.
    function machineWalletOf(uint256 machineId) external view returns (address) {
        return _getStorage().machines[machineId].wallet;
    }

    /// @notice The machine's owner / operator (its registrant); zero for an unknown id.
    function operatorOf(uint256 machineId) external view returns (address) {
        Machine storage m = _getStorage().machines[machineId];
        return _ownerOf(machineId, m);
    }

    /// @notice Whether `claimedOwner` is the owner (registrant) of an existing machine.
    function verifyOwnership(uint256 machineId, address claimedOwner) external view returns (bool) {
        Machine storage m = _getStorage().machines[machineId];
        return m.status != MachineStatus.None && claimedOwner != address(0) && claimedOwner == _ownerOf(machineId, m);
    }

    /// @notice Whether `caller` is the machine itself or its owner.
    function isAuthorizedOrOwner(address caller, uint256 machineId) external view returns (bool) {
        Machine storage m = _getStorage().machines[machineId];
        if (m.status == MachineStatus.None || caller == address(0)) return false;
        return caller == m.wallet || caller == _ownerOf(machineId, m);
    }

    function machineStatus(uint256 machineId) external view returns (MachineStatus) {
        return _getStorage().machines[machineId].status;
    }

    function getMachineStatus(uint256 machineId) external view returns (MachineStatus) {
        return _getStorage().machines[machineId].status;
    }

    function machineExists(uint256 machineId) external view returns (bool) {
        return _getStorage().machines[machineId].status != MachineStatus.None;
    }

    function isVerified(uint256 machineId) external view returns (bool) {
        return _getStorage().machines[machineId].status == MachineStatus.Verified;
    }

    function isDeactivated(uint256 machineId) external view returns (bool) {
        return _getStorage().machines[machineId].status == MachineStatus.Deactivated;
    }

    function totalMachines() external view returns (uint256) {
        return _getStorage().totalMachines;
    }

    function minBond() external view returns (uint256) {
        return _getStorage().minBond;
    }

    function getDIDPrecompile() external view returns (address) {
        return _getStorage().didPrecompile;
    }

    /// @notice ERC-8004 metadata: the value of the machine's DID attribute `key`, read through the DID precompile
    ///         from the machine address's DID; empty when the attribute is not set.
    function getMetadata(uint256 machineId, string calldata key) external view returns (bytes memory) {
        IdentityRegistryStorage storage $ = _getStorage();
        Machine storage m = $.machines[machineId];
        if (m.status == MachineStatus.None) revert MachineNotFound();
        try IDIDPrecompile($.didPrecompile).readAttribute(m.wallet, bytes(key)) returns (
            IDIDPrecompile.Attribute memory attribute
        ) {
            return attribute.value;
        } catch {
            return "";
        }
    }

    /// @notice `{baseURI}/machines/{machineId}`; reverts ERC721NonexistentToken for an unknown id.
    function tokenURI(uint256 tokenId) public view override returns (string memory) {
        _requireOwned(tokenId);
        return _machineURI(tokenId);
    }

    // ---------------------------------------------------------------- soulbound

    /// @dev Only minting is allowed; any transfer (or burn) of an Identity NFT reverts.
    function _update(address to, uint256 tokenId, address auth) internal override returns (address) {
        if (_ownerOf(tokenId) != address(0)) revert IdentityNFTSoulbound();
        return super._update(to, tokenId, auth);
    }

    /// @dev Identity NFTs cannot be approved: they can never move. (Nonpayable, as on peaq's deployment.)
    function approve(address to, uint256 tokenId) public override {
        super.approve(to, tokenId);
        revert IdentityNFTSoulbound();
    }

    /// @dev Identity NFTs cannot be approved: they can never move. (Nonpayable, as on peaq's deployment.)
    function setApprovalForAll(address operator, bool approved) public override {
        super.setApprovalForAll(operator, approved);
        revert IdentityNFTSoulbound();
    }

    // ---------------------------------------------------------------- internals

    function _existing(uint256 machineId) private view returns (Machine storage m) {
        m = _getStorage().machines[machineId];
        if (m.status == MachineStatus.None) revert MachineNotFound();
    }

    function _ownerOf(uint256 machineId, Machine storage m) private view returns (address) {
        if (m.selfOwned) return m.wallet;
        return _getStorage().owners[machineId];
    }

    function _requireOwnerOrMachineOwner(uint256 machineId, Machine storage m) private view {
        if (msg.sender != owner() && msg.sender != _ownerOf(machineId, m)) revert NotMachineOwner();
    }

    function _machineURI(uint256 machineId) private view returns (string memory) {
        return string.concat(_getStorage().baseURI, "/machines/", machineId.toString());
    }

    function _authorizeUpgrade(address) internal override onlyOwner {}

    function _getStorage() private pure returns (IdentityRegistryStorage storage $) {
        assembly {
            $.slot := IDENTITY_REGISTRY_STORAGE_LOCATION
        }
    }
}
