// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {BeaconProxy} from "@openzeppelin/contracts/proxy/beacon/BeaconProxy.sol";
import {UpgradeableBeacon} from "@openzeppelin/contracts/proxy/beacon/UpgradeableBeacon.sol";
import {Create2} from "@openzeppelin/contracts/utils/Create2.sol";

import {MachineSmartAccount} from "./MachineSmartAccount.sol";

/// @title MachineAccountFactory
/// @notice Deploys machine smart accounts (ERC-4337 v0.6) with peaq's published surface. Each account is a
///         BeaconProxy of one UpgradeableBeacon (owned by the factory's deployer), so a beacon upgrade changes every
///         account at once. Addresses are CREATE2-deterministic in (owner, machine, salt): `getAddress` answers
///         before deployment, `createAccount` deploys there (and only returns the address when it already exists),
///         and `getInitCode` is the ERC-4337 `initCode` that makes the EntryPoint deploy it.
contract MachineAccountFactory {
    UpgradeableBeacon private immutable BEACON;
    address private immutable ENTRY_POINT;

    event AccountCreated(address indexed account, address indexed owner, address indexed machine);

    error InvalidAddress();

    constructor(address _entryPoint) {
        if (_entryPoint == address(0)) revert InvalidAddress();
        ENTRY_POINT = _entryPoint;
        BEACON = new UpgradeableBeacon(address(new MachineSmartAccount(_entryPoint)), msg.sender);
    }

    /// @notice Deploy the account of (owner, machine, salt), or return it when it exists already (no event then).
    function createAccount(address owner, address machine, uint256 salt) external returns (address account) {
        if (owner == address(0) || machine == address(0)) revert InvalidAddress();
        bytes memory code = _creationCode(owner, machine);
        account = Create2.computeAddress(_salt(owner, machine, salt), keccak256(code));
        if (account.code.length != 0) return account;
        Create2.deploy(0, _salt(owner, machine, salt), code);
        emit AccountCreated(account, owner, machine);
    }

    /// @notice The address `createAccount(owner, machine, salt)` deploys to.
    function getAddress(address owner, address machine, uint256 salt) external view returns (address) {
        return Create2.computeAddress(_salt(owner, machine, salt), keccak256(_creationCode(owner, machine)));
    }

    /// @notice ERC-4337 initCode for the account: this factory's address followed by the `createAccount` call.
    function getInitCode(address owner, address machine, uint256 salt) external view returns (bytes memory) {
        return abi.encodePacked(address(this), abi.encodeCall(this.createAccount, (owner, machine, salt)));
    }

    function beacon() external view returns (address) {
        return address(BEACON);
    }

    function entryPoint() external view returns (address) {
        return ENTRY_POINT;
    }

    function _salt(address owner, address machine, uint256 salt) private pure returns (bytes32) {
        return keccak256(abi.encode(owner, machine, salt));
    }

    function _creationCode(address owner, address machine) private view returns (bytes memory) {
        return abi.encodePacked(
            type(BeaconProxy).creationCode,
            abi.encode(address(BEACON), abi.encodeCall(MachineSmartAccount.initialize, (owner, machine)))
        );
    }
}
