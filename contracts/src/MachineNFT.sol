// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Initializable} from "@openzeppelin/contracts-upgradeable/proxy/utils/Initializable.sol";
import {UUPSUpgradeable} from "@openzeppelin/contracts-upgradeable/proxy/utils/UUPSUpgradeable.sol";
import {OwnableUpgradeable} from "@openzeppelin/contracts-upgradeable/access/OwnableUpgradeable.sol";
import {ERC721Upgradeable} from "@openzeppelin/contracts-upgradeable/token/ERC721/ERC721Upgradeable.sol";
import {Strings} from "@openzeppelin/contracts/utils/Strings.sol";

import {IIdentityRegistry} from "./interfaces/IIdentityRegistry.sol";
import {IIdentityStaking} from "./interfaces/IIdentityStaking.sol";

/// @title MachineNFT
/// @notice ERC-721 representing a machine's financial profile, one per registered and bonded machine, with its
///         own token id sequence (from 1, independent of the Identity NFT id). Transferable (bridgeable).
///         `tokenURI` = `{baseURI}/metadata/{tokenId}` (the MCR API serves the Machine Card there).
/// @dev UUPS upgradeable, ERC-7201 namespaced storage.
contract MachineNFT is Initializable, ERC721Upgradeable, OwnableUpgradeable, UUPSUpgradeable {
    using Strings for uint256;

    /// @custom:storage-location erc7201:peaqos.storage.MachineNFT
    struct MachineNFTStorage {
        address identityRegistry;
        address identityStaking;
        uint256 nextTokenId;
        string baseURI;
        mapping(uint256 machineId => uint256 tokenId) tokenIds;
        mapping(uint256 tokenId => uint256 machineId) machineIds;
    }

    // keccak256(abi.encode(uint256(keccak256("peaqos.storage.MachineNFT")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 private constant MACHINE_NFT_STORAGE_LOCATION =
        0x5e5d3ba98dce26d1e378239c2ec2c3e730a4a98bf7516feb6c8d56b487193c00;

    uint8 private constant STATUS_NONE = 0;

    event MachineNFTMinted(uint256 indexed machineId, uint256 indexed tokenId, address indexed recipient);
    event BaseURIUpdated(string baseURI);

    error MachineNotFound(uint256 machineId);
    error MachineNotBonded(uint256 machineId);
    error AlreadyMinted(uint256 machineId);
    error InvalidAddress();
    error NotMachineOwner(address caller);
    error RecipientMustBeMachineOwner(address recipient);

    /// @custom:oz-upgrades-unsafe-allow constructor
    constructor() {
        _disableInitializers();
    }

    function initialize(address owner_, address registry_, address staking_, string calldata baseURI_)
        external
        initializer
    {
        if (registry_ == address(0) || staking_ == address(0)) revert InvalidAddress();
        __ERC721_init("peaqOS Machine", "PEAQM");
        __Ownable_init(owner_);
        __UUPSUpgradeable_init();
        MachineNFTStorage storage $ = _getStorage();
        $.identityRegistry = registry_;
        $.identityStaking = staking_;
        $.nextTokenId = 1;
        $.baseURI = baseURI_;
        emit BaseURIUpdated(baseURI_);
    }

    /// @notice Mint the Machine NFT of `machineId` to `recipient`. Callable by the machine wallet (= Identity NFT
    ///         holder) with any recipient, or by the operator with recipient == machine wallet.
    /// @dev Check order: MachineNotFound, MachineNotBonded, AlreadyMinted, InvalidAddress, NotMachineOwner,
    ///      RecipientMustBeMachineOwner.
    /// @return tokenId the new Machine NFT token id
    function mint(uint256 machineId, address recipient) external returns (uint256 tokenId) {
        MachineNFTStorage storage $ = _getStorage();
        (address wallet, address operator, uint8 status) = IIdentityRegistry($.identityRegistry).machineAuth(machineId);
        if (status == STATUS_NONE) revert MachineNotFound(machineId);
        if (!IIdentityStaking($.identityStaking).isStaked(machineId)) revert MachineNotBonded(machineId);
        if ($.tokenIds[machineId] != 0) revert AlreadyMinted(machineId);
        if (recipient == address(0)) revert InvalidAddress();
        if (msg.sender != wallet) {
            if (msg.sender != operator) revert NotMachineOwner(msg.sender);
            if (recipient != wallet) revert RecipientMustBeMachineOwner(recipient);
        }

        tokenId = $.nextTokenId;
        $.nextTokenId = tokenId + 1;
        $.tokenIds[machineId] = tokenId;
        $.machineIds[tokenId] = machineId;
        _mint(recipient, tokenId);
        emit MachineNFTMinted(machineId, tokenId, recipient);
    }

    function setBaseURI(string calldata newBaseURI) external onlyOwner {
        _getStorage().baseURI = newBaseURI;
        emit BaseURIUpdated(newBaseURI);
    }

    /// @notice Machine NFT token id of a machine; 0 when none was minted.
    function tokenIdOf(uint256 machineId) external view returns (uint256) {
        return _getStorage().tokenIds[machineId];
    }

    /// @notice Machine id of a Machine NFT token; 0 for an unknown token.
    function machineIdOf(uint256 tokenId) external view returns (uint256) {
        return _getStorage().machineIds[tokenId];
    }

    function nextTokenId() external view returns (uint256) {
        return _getStorage().nextTokenId;
    }

    function baseURI() external view returns (string memory) {
        return _getStorage().baseURI;
    }

    function identityRegistry() external view returns (address) {
        return _getStorage().identityRegistry;
    }

    function identityStaking() external view returns (address) {
        return _getStorage().identityStaking;
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
