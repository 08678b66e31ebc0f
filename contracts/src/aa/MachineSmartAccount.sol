// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Initializable} from "@openzeppelin/contracts-upgradeable/proxy/utils/Initializable.sol";
import {ReentrancyGuardUpgradeable} from "@openzeppelin/contracts-upgradeable/utils/ReentrancyGuardUpgradeable.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {MessageHashUtils} from "@openzeppelin/contracts/utils/cryptography/MessageHashUtils.sol";

import {IEntryPointV06} from "./IEntryPointV06.sol";

/// @title MachineSmartAccount
/// @notice ERC-4337 (EntryPoint v0.6) smart account of a machine, with peaq's published surface. Two keys act for
///         it: the owner (who may also rotate the machine key, move ownership and withdraw the EntryPoint deposit)
///         and the machine. Either may `execute` / `executeBatch` directly or through the EntryPoint; a UserOperation
///         is valid when its signature is an EIP-191 signature of the userOpHash (eth-infinitism SimpleAccount v0.6
///         convention) by either key. `isValidSignature` is ERC-1271 over the same two keys.
/// @dev The implementation behind every account's BeaconProxy (MachineAccountFactory's beacon): upgrading the beacon
///      upgrades every account at once. State lives in an ERC-7201 namespace.
contract MachineSmartAccount is Initializable, ReentrancyGuardUpgradeable {
    /// @notice The ERC-4337 v0.6 UserOperation (the layout EntryPoint 0x5FF137D4b0FDCD49DcA30c7CF57E578a026d2789
    ///         passes to `validateUserOp`).
    struct UserOperation {
        address sender;
        uint256 nonce;
        bytes initCode;
        bytes callData;
        uint256 callGasLimit;
        uint256 verificationGasLimit;
        uint256 preVerificationGas;
        uint256 maxFeePerGas;
        uint256 maxPriorityFeePerGas;
        bytes paymasterAndData;
        bytes signature;
    }

    /// @custom:storage-location erc7201:peaqos.storage.MachineSmartAccount
    struct AccountStorage {
        address owner;
        address machine;
    }

    // keccak256(abi.encode(uint256(keccak256("peaqos.storage.MachineSmartAccount")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 private constant ACCOUNT_STORAGE_LOCATION =
        0x1ff697b7c240fccae5880aca22d74bfdf52c0b72b517a2531dbeb6ffd4941100;

    /// @dev Most calls one `executeBatch` takes.
    uint256 private constant MAX_BATCH = 64;

    uint256 private constant SIG_VALIDATION_FAILED = 1;
    bytes4 private constant ERC1271_MAGIC = 0x1626ba7e;

    IEntryPointV06 private immutable ENTRY_POINT;

    event Executed(address indexed target, uint256 value, bytes data);
    event MachineChanged(address indexed previousMachine, address indexed newMachine);
    event OwnerChanged(address indexed previousOwner, address indexed newOwner);

    error OnlyEntryPoint();
    error OnlyOwner();
    error SelfCallBlocked();
    error BatchTooLarge();
    error LengthMismatch();
    error ExecutionFailed();
    error InvalidAddress();

    /// @custom:oz-upgrades-unsafe-allow constructor
    constructor(address _entryPoint) {
        if (_entryPoint == address(0)) revert InvalidAddress();
        ENTRY_POINT = IEntryPointV06(_entryPoint);
        _disableInitializers();
    }

    /// @notice Set the two keys (called once, by the factory, through the BeaconProxy constructor).
    function initialize(address _owner, address _machine) external initializer {
        if (_owner == address(0) || _machine == address(0)) revert InvalidAddress();
        __ReentrancyGuard_init();
        AccountStorage storage $ = _getStorage();
        $.owner = _owner;
        $.machine = _machine;
        emit OwnerChanged(address(0), _owner);
        emit MachineChanged(address(0), _machine);
    }

    receive() external payable {}

    // ---------------------------------------------------------------- ERC-4337

    /// @notice Validate a UserOperation for the EntryPoint: 0 when `signature` is an EIP-191 signature of
    ///         `userOpHash` by the owner or the machine, SIG_VALIDATION_FAILED (1) otherwise. A malformed signature
    ///         reverts (ECDSAInvalidSignature*), as SimpleAccount v0.6 does. Pays the EntryPoint what it is missing
    ///         for the operation's prefund.
    function validateUserOp(UserOperation calldata userOp, bytes32 userOpHash, uint256 missingAccountFunds)
        external
        returns (uint256 validationData)
    {
        if (msg.sender != address(ENTRY_POINT)) revert OnlyEntryPoint();
        address signer = ECDSA.recover(MessageHashUtils.toEthSignedMessageHash(userOpHash), userOp.signature);
        AccountStorage storage $ = _getStorage();
        validationData = signer == $.owner || signer == $.machine ? 0 : SIG_VALIDATION_FAILED;
        if (missingAccountFunds != 0) {
            // The EntryPoint checks the deposit it ends up with; a failed transfer is its concern.
            (bool ok,) = payable(msg.sender).call{value: missingAccountFunds}("");
            (ok);
        }
    }

    /// @notice ERC-1271: the magic value when `signature` over `hash` (as given, or EIP-191 wrapped) is by the owner
    ///         or the machine.
    function isValidSignature(bytes32 hash, bytes calldata signature) external view returns (bytes4) {
        if (_isSigner(hash, signature) || _isSigner(MessageHashUtils.toEthSignedMessageHash(hash), signature)) {
            return ERC1271_MAGIC;
        }
        return 0xffffffff;
    }

    // ---------------------------------------------------------------- execution

    /// @notice Call `target` with `value` and `data`. By the EntryPoint, the owner or the machine. The account
    ///         cannot call itself (`SelfCallBlocked`): its own administration needs the owner's key directly.
    function execute(address target, uint256 value, bytes calldata data) external nonReentrant {
        _requireExecutor();
        _call(target, value, data);
    }

    /// @notice Several calls in order, all or nothing. `values` may be empty (no value sent).
    function executeBatch(address[] calldata targets, uint256[] calldata values, bytes[] calldata datas)
        external
        nonReentrant
    {
        _requireExecutor();
        uint256 n = targets.length;
        if (n > MAX_BATCH) revert BatchTooLarge();
        if (datas.length != n || (values.length != 0 && values.length != n)) revert LengthMismatch();
        for (uint256 i = 0; i < n; ++i) {
            _call(targets[i], values.length == 0 ? 0 : values[i], datas[i]);
        }
    }

    // ---------------------------------------------------------------- owner

    /// @notice Rotate the machine key (owner only). The old key is refused from then on.
    function setMachine(address newMachine) external {
        _requireOwner();
        if (newMachine == address(0)) revert InvalidAddress();
        AccountStorage storage $ = _getStorage();
        emit MachineChanged($.machine, newMachine);
        $.machine = newMachine;
    }

    function transferOwnership(address newOwner) external {
        _requireOwner();
        if (newOwner == address(0)) revert InvalidAddress();
        AccountStorage storage $ = _getStorage();
        emit OwnerChanged($.owner, newOwner);
        $.owner = newOwner;
    }

    /// @notice Withdraw from the account's EntryPoint deposit (owner only).
    function withdrawDeposit(address to, uint256 amount) external {
        _requireOwner();
        if (to == address(0)) revert InvalidAddress();
        ENTRY_POINT.withdrawTo(payable(to), amount);
    }

    // ---------------------------------------------------------------- views

    function entryPoint() external view returns (address) {
        return address(ENTRY_POINT);
    }

    function owner() external view returns (address) {
        return _getStorage().owner;
    }

    function machine() external view returns (address) {
        return _getStorage().machine;
    }

    // ---------------------------------------------------------------- internals

    function _requireOwner() private view {
        if (msg.sender != _getStorage().owner) revert OnlyOwner();
    }

    function _requireExecutor() private view {
        if (msg.sender == address(ENTRY_POINT)) return;
        AccountStorage storage $ = _getStorage();
        if (msg.sender != $.owner && msg.sender != $.machine) revert OnlyEntryPoint();
    }

    function _isSigner(bytes32 digest, bytes calldata signature) private view returns (bool) {
        (address signer, ECDSA.RecoverError err,) = ECDSA.tryRecover(digest, signature);
        if (err != ECDSA.RecoverError.NoError || signer == address(0)) return false;
        AccountStorage storage $ = _getStorage();
        return signer == $.owner || signer == $.machine;
    }

    /// @dev Bubbles the callee's revert data; `ExecutionFailed` when it reverted without any.
    function _call(address target, uint256 value, bytes calldata data) private {
        if (target == address(this)) revert SelfCallBlocked();
        (bool ok, bytes memory ret) = target.call{value: value}(data);
        if (!ok) {
            if (ret.length == 0) revert ExecutionFailed();
            assembly ("memory-safe") {
                revert(add(ret, 0x20), mload(ret))
            }
        }
        emit Executed(target, value, data);
    }

    function _getStorage() private pure returns (AccountStorage storage $) {
        assembly {
            $.slot := ACCOUNT_STORAGE_LOCATION
        }
    }
}
