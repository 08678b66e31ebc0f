// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Initializable} from "@openzeppelin/contracts-upgradeable/proxy/utils/Initializable.sol";
import {UUPSUpgradeable} from "@openzeppelin/contracts-upgradeable/proxy/utils/UUPSUpgradeable.sol";
import {OwnableUpgradeable} from "@openzeppelin/contracts-upgradeable/access/OwnableUpgradeable.sol";
import {ERC721Upgradeable} from "@openzeppelin/contracts-upgradeable/token/ERC721/ERC721Upgradeable.sol";
import {PausableUpgradeable} from "@openzeppelin/contracts-upgradeable/utils/PausableUpgradeable.sol";
import {ReentrancyGuardUpgradeable} from "@openzeppelin/contracts-upgradeable/utils/ReentrancyGuardUpgradeable.sol";
import {Strings} from "@openzeppelin/contracts/utils/Strings.sol";

import {IIdentityRegistry} from "./interfaces/IIdentityRegistry.sol";
import {IIdentityStaking} from "./interfaces/IIdentityStaking.sol";

/// @title MachineNFT
/// @notice ERC-721 for a machine's financial profile, one per registered and bonded machine, with peaq's published
///         surface. Token ids start at 1 and are independent of machine ids. The token is minted to the machine's
///         own address, by the machine or by its owner (proxy operator); it is transferable (and bridgeable).
///         `tokenURI` = `{baseURI}/metadata/{tokenId}` (the MCR API serves the machine's metadata there).
/// @dev UUPS upgradeable, ERC-7201 namespaced storage; pausing stops minting.
contract MachineNFT is
    Initializable,
    ERC721Upgradeable,
    OwnableUpgradeable,
    PausableUpgradeable,
    ReentrancyGuardUpgradeable,
    UUPSUpgradeable
{
    using Strings for uint256;

    /// @custom:storage-location erc7201:peaqos.storage.MachineNFT
    struct MachineNFTStorage {
        address identityRegistry;
        address identityStaking;
        uint256 totalMinted;
        string baseURI;
        mapping(uint256 machineId => uint256 tokenId) tokenIds;
        mapping(uint256 tokenId => uint256 machineId) machineIds;
    }

    // keccak256(abi.encode(uint256(keccak256("peaqos.storage.MachineNFT")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 private constant MACHINE_NFT_STORAGE_LOCATION =
        0x5e5d3ba98dce26d1e378239c2ec2c3e730a4a98bf7516feb6c8d56b487193c00;

    event MachineMinted(uint256 indexed tokenId, uint256 indexed machineId, address indexed recipient);
    event BaseURISet(string baseURI);
    event IdentityRegistrySet(address indexed registry);
    event IdentityStakingSet(address indexed staking);

    error MachineNotFound();
    error MachineNotBonded();
    error AlreadyMinted();
    error InvalidAddress();
    error NotMachineOwner();
    error RecipientMustBeMachineOwner();

    /// @custom:oz-upgrades-unsafe-allow constructor
    constructor() {
        _disableInitializers();
    }

    function initialize(address _identityRegistry, address _identityStaking, address _owner) external initializer {
        if (_identityRegistry == address(0) || _identityStaking == address(0)) revert InvalidAddress();
        __ERC721_init("peaqOS Machine", "PEAQM");
        __Ownable_init(_owner);
        __Pausable_init();
        __ReentrancyGuard_init();
        __UUPSUpgradeable_init();
        MachineNFTStorage storage $ = _getStorage();
        $.identityRegistry = _identityRegistry;
        $.identityStaking = _identityStaking;
        emit IdentityRegistrySet(_identityRegistry);
        emit IdentityStakingSet(_identityStaking);
    }

    /// @notice Mint the Machine NFT of `machineId` to `recipient`, which must be the machine's own address. The
    ///         caller is the machine or its owner (the account that registered it).
    /// @dev Check order: EnforcedPause, MachineNotFound, MachineNotBonded, AlreadyMinted, InvalidAddress (zero
    ///      recipient), NotMachineOwner, RecipientMustBeMachineOwner.
    function mint(uint256 machineId, address recipient) external whenNotPaused nonReentrant {
        MachineNFTStorage storage $ = _getStorage();
        (address owner_, address wallet, bool exists,) =
            IIdentityRegistry($.identityRegistry).getVerificationInfo(machineId);
        if (!exists) revert MachineNotFound();
        if (!IIdentityStaking($.identityStaking).isStaked(machineId)) revert MachineNotBonded();
        if ($.tokenIds[machineId] != 0) revert AlreadyMinted();
        if (recipient == address(0)) revert InvalidAddress();
        if (msg.sender != wallet && msg.sender != owner_) revert NotMachineOwner();
        if (recipient != wallet) revert RecipientMustBeMachineOwner();

        uint256 tokenId = ++$.totalMinted;
        $.tokenIds[machineId] = tokenId;
        $.machineIds[tokenId] = machineId;
        _mint(recipient, tokenId);
        emit MachineMinted(tokenId, machineId, recipient);
    }

    // ---------------------------------------------------------------- owner

    function setBaseURI(string calldata _baseURI) external onlyOwner {
        _getStorage().baseURI = _baseURI;
        emit BaseURISet(_baseURI);
    }

    function setIdentityRegistry(address _identityRegistry) external onlyOwner {
        if (_identityRegistry == address(0)) revert InvalidAddress();
        _getStorage().identityRegistry = _identityRegistry;
        emit IdentityRegistrySet(_identityRegistry);
    }

    function setIdentityStaking(address _identityStaking) external onlyOwner {
        if (_identityStaking == address(0)) revert InvalidAddress();
        _getStorage().identityStaking = _identityStaking;
        emit IdentityStakingSet(_identityStaking);
    }

    function pause() external onlyOwner {
        _pause();
    }

    function unpause() external onlyOwner {
        _unpause();
    }

    // ---------------------------------------------------------------- views

    /// @notice Machine NFT token id of a machine; 0 when none was minted.
    function tokenIdOf(uint256 machineId) external view returns (uint256) {
        return _getStorage().tokenIds[machineId];
    }

    /// @notice Machine id of a Machine NFT token; 0 for an unknown token.
    function machineIdOf(uint256 tokenId) external view returns (uint256) {
        return _getStorage().machineIds[tokenId];
    }

    function totalMinted() external view returns (uint256) {
        return _getStorage().totalMinted;
    }

    /// @notice `{baseURI}/metadata/{tokenId}`; reverts ERC721NonexistentToken for an unknown token.
    function tokenURI(uint256 tokenId) public view override returns (string memory) {
        _requireOwned(tokenId);
        return string.concat(_getStorage().baseURI, "/metadata/", tokenId.toString());
    }

    function _authorizeUpgrade(address) internal override onlyOwner {}

    function _getStorage() private pure returns (MachineNFTStorage storage $) {
        assembly {
            $.slot := MACHINE_NFT_STORAGE_LOCATION
        }
    }
}
