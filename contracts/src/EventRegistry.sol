// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Initializable} from "@openzeppelin/contracts-upgradeable/proxy/utils/Initializable.sol";
import {UUPSUpgradeable} from "@openzeppelin/contracts-upgradeable/proxy/utils/UUPSUpgradeable.sol";
import {OwnableUpgradeable} from "@openzeppelin/contracts-upgradeable/access/OwnableUpgradeable.sol";

import {IIdentityRegistry} from "./interfaces/IIdentityRegistry.sol";
import {IIdentityStaking} from "./interfaces/IIdentityStaking.sol";

/// @title EventRegistry
/// @notice On-chain store of machine revenue (type 0) and activity (type 1) events.
///
///         Every accepted event emits ONE `EventSubmitted` log carrying every field plus its per-machine index and
///         the submitter, so an indexer needs nothing else, and stores a 32-byte commitment so any log can be
///         checked against chain state:
///
///         commitment = keccak256(abi.encode(
///             uint256 machineId, uint256 eventIndex, address submitter, uint8 eventType, uint256 value,
///             bytes32 keccak256(bytes(currency)), uint256 timestamp, bytes32 dataHash, uint8 trustLevel,
///             uint256 sourceChainId, bytes32 sourceTxHash, bytes32 keccak256(metadata)))
///
///         i.e. the keccak of 12 ABI words (384 bytes). `computeCommitment` computes it for any log;
///         `eventCommitment(machineId, index)` returns the stored one.
/// @dev UUPS upgradeable, ERC-7201 namespaced storage. The hot path (`submitEvent`) makes exactly two external
///      calls (IdentityRegistry.machineAuth, IdentityStaking.isStaked) and writes two storage slots (the count and
///      the commitment). The commitment and the log are built in assembly straight from calldata.
contract EventRegistry is Initializable, OwnableUpgradeable, UUPSUpgradeable {
    /// @custom:storage-location erc7201:peaqos.storage.EventRegistry
    struct EventRegistryStorage {
        address identityRegistry;
        address identityStaking;
        mapping(uint256 machineId => uint256) eventCounts;
        mapping(uint256 machineId => mapping(uint256 eventIndex => bytes32)) commitments;
    }

    // keccak256(abi.encode(uint256(keccak256("peaqos.storage.EventRegistry")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 private constant EVENT_REGISTRY_STORAGE_LOCATION =
        0x6a116612cca76cfd51c56ad8df71df5ac588245129c4674a40d88534aacdd900;

    uint8 public constant EVENT_TYPE_REVENUE = 0;
    uint8 public constant EVENT_TYPE_ACTIVITY = 1;
    uint8 public constant MAX_TRUST_LEVEL = 2;
    uint256 public constant MAX_METADATA_BYTES = 4096;

    uint8 private constant STATUS_NONE = 0;
    uint8 private constant STATUS_DEACTIVATED = 4;

    /// @notice One log per event with every field. Topics: signature, machineId, eventIndex, submitter.
    event EventSubmitted(
        uint256 indexed machineId,
        uint256 indexed eventIndex,
        address indexed submitter,
        uint8 eventType,
        uint256 value,
        string currency,
        uint256 timestamp,
        bytes32 dataHash,
        uint8 trustLevel,
        uint256 sourceChainId,
        bytes32 sourceTxHash,
        bytes metadata
    );

    error MachineNotFound(uint256 machineId);
    error MachineDeactivated(uint256 machineId);
    error MachineNotBonded(uint256 machineId);
    error NotAuthorizedSubmitter(address submitter);
    error InvalidEventType(uint8 eventType);
    error InvalidTrustLevel(uint8 trustLevel);
    error FutureTimestamp(uint256 timestamp, uint256 blockTimestamp);
    error MetadataTooLarge(uint256 length);
    error InvalidCurrencyShape();
    error InvalidAddress();

    /// @custom:oz-upgrades-unsafe-allow constructor
    constructor() {
        _disableInitializers();
    }

    function initialize(address owner_, address registry_, address staking_) external initializer {
        if (registry_ == address(0) || staking_ == address(0)) revert InvalidAddress();
        __Ownable_init(owner_);
        __UUPSUpgradeable_init();
        EventRegistryStorage storage $ = _getStorage();
        $.identityRegistry = registry_;
        $.identityStaking = staking_;
    }

    /// @notice Submit a revenue (0) or activity (1) event for `machineId`. Selector 0xe58a43ca.
    /// @dev Checks, in order: MachineNotFound (status None), MachineDeactivated, MachineNotBonded,
    ///      NotAuthorizedSubmitter (msg.sender must be the machine wallet, which is the Identity NFT holder since
    ///      that NFT is soulbound, or the operator), InvalidEventType (> 1), InvalidTrustLevel (> 2),
    ///      FutureTimestamp (timestamp > block.timestamp), MetadataTooLarge (> 4096 bytes), InvalidCurrencyShape
    ///      (revenue: 3..10 chars of A-Z0-9; activity: empty).
    /// @return eventIndex zero-based index of the event among this machine's events
    function submitEvent(
        uint256 machineId,
        uint8 eventType,
        uint256 value,
        string calldata currency,
        uint256 timestamp,
        bytes32 dataHash,
        uint8 trustLevel,
        uint256 sourceChainId,
        bytes32 sourceTxHash,
        bytes calldata metadata
    ) external returns (uint256 eventIndex) {
        // value, dataHash, sourceChainId and sourceTxHash have no on-chain rule; _record reads them from calldata.
        (value, dataHash, sourceChainId, sourceTxHash);
        uint256 index = _authorize(machineId);
        if (eventType > EVENT_TYPE_ACTIVITY) revert InvalidEventType(eventType);
        if (trustLevel > MAX_TRUST_LEVEL) revert InvalidTrustLevel(trustLevel);
        if (timestamp > block.timestamp) revert FutureTimestamp(timestamp, block.timestamp);
        if (metadata.length > MAX_METADATA_BYTES) revert MetadataTooLarge(metadata.length);
        _checkCurrency(eventType, currency);
        _record(machineId, index, currency, metadata);
        return index;
    }

    /// @notice Number of events stored for `machineId` (the next event gets this index).
    function eventCount(uint256 machineId) external view returns (uint256) {
        EventRegistryStorage storage $ = _getStorage();
        uint256 stored = $.eventCounts[machineId];
        if (stored != 0) return stored;
        return $.commitments[machineId][0] != bytes32(0) ? 1 : 0;
    }

    /// @notice Stored commitment of event `index` of `machineId` (bytes32(0) if there is no such event).
    function eventCommitment(uint256 machineId, uint256 index) external view returns (bytes32) {
        return _getStorage().commitments[machineId][index];
    }

    /// @notice Commitment of an event, as stored by `submitEvent`:
    ///         keccak256(abi.encode(machineId, index, submitter, eventType, value, keccak256(bytes(currency)),
    ///         timestamp, dataHash, trustLevel, sourceChainId, sourceTxHash, keccak256(metadata))).
    function computeCommitment(
        uint256 machineId,
        uint256 index,
        address submitter,
        uint8 eventType,
        uint256 value,
        string calldata currency,
        uint256 timestamp,
        bytes32 dataHash,
        uint8 trustLevel,
        uint256 sourceChainId,
        bytes32 sourceTxHash,
        bytes calldata metadata
    ) external pure returns (bytes32 commitment) {
        // The static arguments are read from their (ABI-decoder-validated) calldata head words below.
        (machineId, index, submitter, eventType, value, timestamp, dataHash, trustLevel, sourceChainId, sourceTxHash);
        bytes32 currencyHash = keccak256(bytes(currency));
        bytes32 metadataHash = keccak256(metadata);
        assembly ("memory-safe") {
            let p := mload(0x40)
            calldatacopy(p, 0x04, 0xa0) // machineId, index, submitter, eventType, value
            mstore(add(p, 0xa0), currencyHash)
            calldatacopy(add(p, 0xc0), 0xc4, 0xa0) // timestamp, dataHash, trustLevel, sourceChainId, sourceTxHash
            mstore(add(p, 0x160), metadataHash)
            commitment := keccak256(p, 0x180)
        }
    }

    function identityRegistry() external view returns (address) {
        return _getStorage().identityRegistry;
    }

    function identityStaking() external view returns (address) {
        return _getStorage().identityStaking;
    }

    // ---------------------------------------------------------------- internals

    /// @dev Runs the machine checks in the documented order and returns the index the event will get.
    ///      IdentityStaking is consulted on a machine's FIRST event only: a stored commitment proves that
    ///      `isStaked` was true when it was written, and a bond can never be withdrawn (IdentityStaking has no
    ///      withdrawal path), so it is still true. See `_record` for the count encoding.
    function _authorize(uint256 machineId) private view returns (uint256 index) {
        EventRegistryStorage storage $ = _getStorage();
        (address wallet, address operator, uint8 status) = IIdentityRegistry($.identityRegistry).machineAuth(machineId);
        if (status == STATUS_NONE) revert MachineNotFound(machineId);
        if (status == STATUS_DEACTIVATED) revert MachineDeactivated(machineId);
        index = $.eventCounts[machineId];
        if (index == 0) {
            if ($.commitments[machineId][0] == bytes32(0)) {
                // first event of this machine (index 0): check the bond
                if (!IIdentityStaking($.identityStaking).isStaked(machineId)) revert MachineNotBonded(machineId);
            } else {
                index = 1;
            }
        }
        if (msg.sender != wallet && msg.sender != operator) revert NotAuthorizedSubmitter(msg.sender);
    }

    /// @dev Revenue: `^[A-Z0-9]{3,10}$`. Activity: empty.
    function _checkCurrency(uint8 eventType, string calldata currency) private pure {
        uint256 len = bytes(currency).length;
        if (eventType == EVENT_TYPE_ACTIVITY) {
            if (len != 0) revert InvalidCurrencyShape();
            return;
        }
        if (len < 3 || len > 10) revert InvalidCurrencyShape();
        bool ok = true;
        assembly ("memory-safe") {
            // len <= 10, so one calldata word holds the whole string (left-aligned)
            let word := calldataload(currency.offset)
            for { let i := 0 } lt(i, len) { i := add(i, 1) } {
                let c := byte(i, word)
                // A-Z (0x41..0x5a) or 0-9 (0x30..0x39)
                if iszero(or(lt(sub(c, 0x41), 26), lt(sub(c, 0x30), 10))) {
                    ok := 0
                    break
                }
            }
        }
        if (!ok) revert InvalidCurrencyShape();
    }

    /// @dev Bumps the count, stores the commitment and emits the log. Must only be called from `submitEvent`: the
    ///      static fields are read from submitEvent's calldata head (0x04 + 32 * argument position); the ABI decoder
    ///      has already validated them (uint8 words <= 0xff), so the raw words equal abi.encode of the values.
    function _record(uint256 machineId, uint256 index, string calldata currency, bytes calldata metadata) private {
        EventRegistryStorage storage $ = _getStorage();
        // Count encoding: the first event writes only its commitment (the count 1 is implied by a non-zero
        // commitment 0, a keccak256 output); from the second event on `eventCounts` holds the count.
        if (index != 0) $.eventCounts[machineId] = index + 1;
        $.commitments[machineId][index] = _commitment(machineId, index, currency, metadata);
        _emitSubmitted(machineId, index, currency, metadata);
    }

    /// @dev The commitment formula documented on the contract, for submitEvent's calldata and msg.sender.
    function _commitment(uint256 machineId, uint256 index, string calldata currency, bytes calldata metadata)
        private
        view
        returns (bytes32 commitment)
    {
        bytes32 currencyHash = keccak256(bytes(currency));
        bytes32 metadataHash = keccak256(metadata);
        assembly ("memory-safe") {
            let p := mload(0x40)
            mstore(p, machineId)
            mstore(add(p, 0x20), index)
            mstore(add(p, 0x40), caller())
            calldatacopy(add(p, 0x60), 0x24, 0x40) // eventType, value
            mstore(add(p, 0xa0), currencyHash)
            calldatacopy(add(p, 0xc0), 0x84, 0xa0) // timestamp, dataHash, trustLevel, sourceChainId, sourceTxHash
            mstore(add(p, 0x160), metadataHash)
            commitment := keccak256(p, 0x180)
        }
    }

    /// @dev Emits EventSubmitted from submitEvent's calldata: ABI-encodes (eventType, value, currency, timestamp,
    ///      dataHash, trustLevel, sourceChainId, sourceTxHash, metadata) as a 9-word head plus the two tails.
    function _emitSubmitted(uint256 machineId, uint256 index, string calldata currency, bytes calldata metadata)
        private
    {
        bytes32 topic0 = EventSubmitted.selector;
        assembly ("memory-safe") {
            let p := mload(0x40)
            calldatacopy(p, 0x24, 0x40) // eventType, value
            mstore(add(p, 0x40), 0x120) // offset of currency
            calldatacopy(add(p, 0x60), 0x84, 0xa0) // timestamp, dataHash, trustLevel, sourceChainId, sourceTxHash

            let q := add(p, 0x120)
            let len := currency.length
            let padded := and(add(len, 31), not(31))
            mstore(q, len)
            if padded { mstore(add(q, padded), 0) } // zero the last (partial) word before copying
            calldatacopy(add(q, 0x20), currency.offset, len)

            let metaRel := add(0x140, padded) // offset of metadata
            mstore(add(p, 0x100), metaRel)
            q := add(p, metaRel)
            len := metadata.length
            padded := and(add(len, 31), not(31))
            mstore(q, len)
            if padded { mstore(add(q, padded), 0) }
            calldatacopy(add(q, 0x20), metadata.offset, len)

            log4(p, add(add(metaRel, 0x20), padded), topic0, machineId, index, caller())
        }
    }

    function _authorizeUpgrade(address) internal override onlyOwner {}

    function _getStorage() private pure returns (EventRegistryStorage storage $) {
        assembly {
            $.slot := EVENT_REGISTRY_STORAGE_LOCATION
        }
    }
}
