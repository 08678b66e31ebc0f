// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IdentityRegistry} from "../IdentityRegistry.sol";

/// @title IdentityRegistryV2 (TEST ONLY)
/// @notice Upgrade target used by the Rust tests: a proxy upgraded to it must keep all IdentityRegistry state.
/// @custom:oz-upgrades-from IdentityRegistry
contract IdentityRegistryV2 is IdentityRegistry {
    function version() external pure returns (string memory) {
        return "2";
    }
}
