// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Initializable} from "@openzeppelin/contracts-upgradeable/proxy/utils/Initializable.sol";
import {UUPSUpgradeable} from "@openzeppelin/contracts-upgradeable/proxy/utils/UUPSUpgradeable.sol";
import {OwnableUpgradeable} from "@openzeppelin/contracts-upgradeable/access/OwnableUpgradeable.sol";
import {ReentrancyGuardUpgradeable} from "@openzeppelin/contracts-upgradeable/utils/ReentrancyGuardUpgradeable.sol";

import {IIdentityRegistry} from "./interfaces/IIdentityRegistry.sol";
import {IIdentityStaking} from "./interfaces/IIdentityStaking.sol";

/// @title EventRegistry
/// @notice On-chain store of machine revenue (type 0) and activity (type 1) events, with peaq's published surface.
///         `submitEvent` stores the whole record and emits `EventSubmitted(machineId, eventIndex, eventType, value,
///         currency)`; the record (timestamp, trust level, hashes, source chain, metadata) is read back with
///         `getEventAt` / `getEvents`.
/// @dev UUPS upgradeable, ERC-7201 namespaced storage. Gas: a record is one packed header word plus only the
///      non-zero optional words (see `Record`); the registry address, the total count and the pause flag share
///      one slot; IdentityStaking is consulted on a machine's first event only (bonds are permanent).
contract EventRegistry is Initializable, OwnableUpgradeable, ReentrancyGuardUpgradeable, UUPSUpgradeable {
    /// @notice One stored event as `getEventAt` / `getEvents` return it.
    struct MachineEvent {
        uint256 machineId;
        uint8 eventType;
        uint256 value;
        uint256 timestamp;
        bytes32 dataHash;
        uint8 trustLevel;
        uint256 sourceChainId;
        bytes32 sourceTxHash;
        bytes metadata;
        string currency;
    }

    /// @dev Storage of one event. `header` packs, from the low bits: currency (80 bits, the up-to-10 ASCII bytes
    ///      left-aligned), currency length (8), flags (8), trust level (8), event type (8), timestamp (40) and the
    ///      value (96, zero when it does not fit: then `bigValue` holds it). Every other word is written only when
    ///      its flag is set, so a typical event (value < 2^96, a data hash, no source, no metadata) costs two new
    ///      slots.
    struct Record {
        uint256 header;
        bytes32 dataHash;
        uint256 bigValue;
        uint256 sourceChainId;
        bytes32 sourceTxHash;
        bytes metadata;
    }

    /// @custom:storage-location erc7201:peaqos.storage.EventRegistry
    struct EventRegistryStorage {
        // one slot: read and written by every submitEvent
        address identityRegistry;
        uint88 totalEvents;
        bool paused;
        address identityStaking;
        mapping(uint256 machineId => uint256) machines; // owner (160 bits) | event count (96 bits)
        mapping(uint256 machineId => mapping(uint256 eventIndex => Record)) records;
    }

    // keccak256(abi.encode(uint256(keccak256("peaqos.storage.EventRegistry")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 private constant EVENT_REGISTRY_STORAGE_LOCATION =
        0x6a116612cca76cfd51c56ad8df71df5ac588245129c4674a40d88534aacdd900;

    uint256 public constant CURRENCY_MIN_LEN = 3;
    uint256 public constant CURRENCY_MAX_LEN = 10;
    uint256 public constant MAX_METADATA_SIZE = 4096;
    uint256 public constant MAX_QUERY_LIMIT = 256;

    uint8 private constant EVENT_TYPE_ACTIVITY = 1;
    uint8 private constant MAX_TRUST_LEVEL = 2;
    uint8 private constant STATUS_NONE = 0;
    uint8 private constant STATUS_DEACTIVATED = 4;
    uint256 private constant COUNT_MASK = (1 << 96) - 1;

    uint256 private constant FLAG_BIG_VALUE = 1;
    uint256 private constant FLAG_DATA_HASH = 2;
    uint256 private constant FLAG_SOURCE_CHAIN = 4;
    uint256 private constant FLAG_SOURCE_TX = 8;
    uint256 private constant FLAG_METADATA = 16;

    event EventSubmitted(
        uint256 indexed machineId, uint256 indexed eventIndex, uint8 eventType, uint256 value, string indexed currency
    );
    event IdentityRegistrySet(address indexed registry);
    event IdentityStakingSet(address indexed staking);
    event Paused(address account);
    event Unpaused(address account);

    error MachineNotFound();
    error MachineDeactivated();
    error MachineNotBonded();
    error NotAuthorizedSubmitter();
    error InvalidEventType();
    error InvalidTrustLevel();
    error FutureTimestamp();
    error MetadataTooLarge();
    error InvalidCurrencyShape();
    error OffsetOutOfBounds();
    error InvalidAddress();
    error EnforcedPause();
    error ExpectedPause();

    /// @custom:oz-upgrades-unsafe-allow constructor
    constructor() {
        _disableInitializers();
    }

    function initialize(address _identityRegistry, address _identityStaking, address _owner) external initializer {
        if (_identityRegistry == address(0) || _identityStaking == address(0)) revert InvalidAddress();
        __Ownable_init(_owner);
        __ReentrancyGuard_init();
        __UUPSUpgradeable_init();
        EventRegistryStorage storage $ = _getStorage();
        $.identityRegistry = _identityRegistry;
        $.identityStaking = _identityStaking;
        emit IdentityRegistrySet(_identityRegistry);
        emit IdentityStakingSet(_identityStaking);
    }

    // ---------------------------------------------------------------- submit

    /// @notice Submit a revenue (0) or activity (1) event for `machineId`. Selector 0xe58a43ca.
    /// @dev Checks, in order: EnforcedPause, MachineNotFound, MachineDeactivated, MachineNotBonded (first event),
    ///      NotAuthorizedSubmitter (msg.sender must be the machine address or its owner), InvalidEventType (> 1),
    ///      InvalidTrustLevel (> 2), FutureTimestamp (> block.timestamp), MetadataTooLarge (> MAX_METADATA_SIZE),
    ///      InvalidCurrencyShape (revenue: CURRENCY_MIN_LEN..CURRENCY_MAX_LEN chars of A-Z0-9; activity: empty).
    ///      The event gets index `getEventCount(machineId)` (zero-based).
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
    ) external {
        EventRegistryStorage storage $ = _getStorage();
        if ($.paused) revert EnforcedPause();
        (uint256 index, uint256 next) = _authorize($, machineId);
        if (eventType > EVENT_TYPE_ACTIVITY) revert InvalidEventType();
        if (trustLevel > MAX_TRUST_LEVEL) revert InvalidTrustLevel();
        if (timestamp > block.timestamp) revert FutureTimestamp();
        if (metadata.length > MAX_METADATA_SIZE) revert MetadataTooLarge();
        uint256 header = _currencyBits(eventType, currency);

        Record storage r = $.records[machineId][index];
        uint256 flags;
        uint256 packedValue = value;
        if (value > type(uint96).max) {
            flags = FLAG_BIG_VALUE;
            packedValue = 0;
            r.bigValue = value;
        }
        if (dataHash != bytes32(0)) {
            flags |= FLAG_DATA_HASH;
            r.dataHash = dataHash;
        }
        if (sourceChainId != 0) {
            flags |= FLAG_SOURCE_CHAIN;
            r.sourceChainId = sourceChainId;
        }
        if (sourceTxHash != bytes32(0)) {
            flags |= FLAG_SOURCE_TX;
            r.sourceTxHash = sourceTxHash;
        }
        if (metadata.length != 0) {
            flags |= FLAG_METADATA;
            r.metadata = metadata;
        }
        // timestamp <= block.timestamp fits 40 bits; eventType and trustLevel were range-checked above.
        r.header = header | (flags << 88) | (uint256(trustLevel) << 96) | (uint256(eventType) << 104)
            | (timestamp << 112) | (packedValue << 152);
        $.machines[machineId] = next;
        unchecked {
            $.totalEvents += 1; // 2^88 events are out of reach
        }
        emit EventSubmitted(machineId, index, eventType, value, currency);
    }

    // ---------------------------------------------------------------- reads

    function getEventCount(uint256 machineId) external view returns (uint256) {
        return _getStorage().machines[machineId] & COUNT_MASK;
    }

    function totalEventCount() external view returns (uint256) {
        return _getStorage().totalEvents;
    }

    /// @notice Event `index` of `machineId`; OffsetOutOfBounds when there is no such event.
    function getEventAt(uint256 machineId, uint256 index) external view returns (MachineEvent memory) {
        if (index >= _getStorage().machines[machineId] & COUNT_MASK) revert OffsetOutOfBounds();
        return _load(machineId, index);
    }

    /// @notice Up to `limit` events of `machineId` from index `offset` on, oldest first. A `limit` above
    ///         MAX_QUERY_LIMIT is clamped to it; an `offset` past the count reverts OffsetOutOfBounds; an offset
    ///         equal to the count returns no events.
    function getEvents(uint256 machineId, uint256 offset, uint256 limit)
        external
        view
        returns (MachineEvent[] memory events)
    {
        uint256 count = _getStorage().machines[machineId] & COUNT_MASK;
        if (offset > count) revert OffsetOutOfBounds();
        uint256 n = count - offset;
        if (limit < n) n = limit;
        if (n > MAX_QUERY_LIMIT) n = MAX_QUERY_LIMIT;
        events = new MachineEvent[](n);
        for (uint256 i = 0; i < n; ++i) {
            events[i] = _load(machineId, offset + i);
        }
    }

    function identityRegistryAddress() external view returns (address) {
        return _getStorage().identityRegistry;
    }

    function identityStakingAddress() external view returns (address) {
        return _getStorage().identityStaking;
    }

    function paused() external view returns (bool) {
        return _getStorage().paused;
    }

    // ---------------------------------------------------------------- owner

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
        EventRegistryStorage storage $ = _getStorage();
        if ($.paused) revert EnforcedPause();
        $.paused = true;
        emit Paused(msg.sender);
    }

    function unpause() external onlyOwner {
        EventRegistryStorage storage $ = _getStorage();
        if (!$.paused) revert ExpectedPause();
        $.paused = false;
        emit Unpaused(msg.sender);
    }

    // ---------------------------------------------------------------- internals

    /// @dev Machine checks in the documented order; returns the index the event gets. A machine's slot in
    ///      `machines` packs its event count (low 96 bits) and its owner (high 160 bits), cached from
    ///      `getVerificationInfo` on its first event: an identity's owner and wallet never change. Later events
    ///      ask the registry for the status only (`getMachineStatus`, one storage read there) and for the wallet
    ///      only when the sender is not the owner. IdentityStaking is asked on the first event only: a stored
    ///      event proves `isStaked` was true when it was written, and a bond can never be withdrawn
    ///      (IdentityStaking has no withdrawal path). If the registry ever lets an owner change or staking ever
    ///      allows unbonding, this contract must be upgraded with it.
    function _authorize(EventRegistryStorage storage $, uint256 machineId)
        private
        view
        returns (uint256 index, uint256 next)
    {
        uint256 packed = $.machines[machineId];
        IIdentityRegistry registry = IIdentityRegistry($.identityRegistry);
        index = packed & COUNT_MASK;
        if (index == 0) {
            (address owner_, address wallet, bool exists, uint8 status) = registry.getVerificationInfo(machineId);
            if (!exists) revert MachineNotFound();
            if (status == STATUS_DEACTIVATED) revert MachineDeactivated();
            if (!IIdentityStaking($.identityStaking).isStaked(machineId)) revert MachineNotBonded();
            if (msg.sender != wallet && msg.sender != owner_) revert NotAuthorizedSubmitter();
            return (0, (uint256(uint160(owner_)) << 96) | 1);
        }
        next = packed + 1;
        uint8 current = registry.getMachineStatus(machineId);
        if (current == STATUS_NONE) revert MachineNotFound();
        if (current == STATUS_DEACTIVATED) revert MachineDeactivated();
        if (msg.sender != address(uint160(packed >> 96)) && msg.sender != registry.machineWalletOf(machineId)) {
            revert NotAuthorizedSubmitter();
        }
    }

    /// @dev Validates the currency and returns its header bits: (length << 80) | the bytes left-aligned in 80 bits.
    ///      Revenue: `^[A-Z0-9]{3,10}$`. Activity: empty.
    function _currencyBits(uint8 eventType, string calldata currency) private pure returns (uint256 bits) {
        uint256 len = bytes(currency).length;
        if (eventType == EVENT_TYPE_ACTIVITY) {
            if (len != 0) revert InvalidCurrencyShape();
            return 0;
        }
        if (len < CURRENCY_MIN_LEN || len > CURRENCY_MAX_LEN) revert InvalidCurrencyShape();
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
            // keep exactly `len` bytes (padding is not validated by the ABI decoder), left-aligned in 80 bits
            let shift := sub(256, mul(8, len))
            bits := or(shl(80, len), shl(sub(80, mul(8, len)), shr(shift, word)))
        }
        if (!ok) revert InvalidCurrencyShape();
    }

    function _load(uint256 machineId, uint256 index) private view returns (MachineEvent memory e) {
        Record storage r = _getStorage().records[machineId][index];
        uint256 h = r.header;
        uint256 flags = (h >> 88) & 0xff;
        e.machineId = machineId;
        e.eventType = uint8(h >> 104);
        e.trustLevel = uint8(h >> 96);
        e.timestamp = (h >> 112) & 0xffffffffff;
        e.value = flags & FLAG_BIG_VALUE != 0 ? r.bigValue : h >> 152;
        if (flags & FLAG_DATA_HASH != 0) e.dataHash = r.dataHash;
        if (flags & FLAG_SOURCE_CHAIN != 0) e.sourceChainId = r.sourceChainId;
        if (flags & FLAG_SOURCE_TX != 0) e.sourceTxHash = r.sourceTxHash;
        if (flags & FLAG_METADATA != 0) e.metadata = r.metadata;
        uint256 len = (h >> 80) & 0xff;
        bytes memory c = new bytes(len);
        if (len != 0) {
            uint256 word = (h & ((1 << 80) - 1)) << 176;
            assembly ("memory-safe") {
                mstore(add(c, 0x20), word)
            }
        }
        e.currency = string(c);
    }

    function _authorizeUpgrade(address) internal override onlyOwner {}

    function _getStorage() private pure returns (EventRegistryStorage storage $) {
        assembly {
            $.slot := EVENT_REGISTRY_STORAGE_LOCATION
        }
    }
}
