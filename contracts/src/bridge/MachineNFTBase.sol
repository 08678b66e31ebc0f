// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ONFT721} from "@layerzerolabs/onft-evm/contracts/onft721/ONFT721.sol";

/// @title MachineNFTBase
/// @notice Base side of the Machine NFT bridge: a LayerZero V2 ONFT721. A message from the peaq adapter mints the
///         token (same token id) to its recipient; sending back burns it here (only its owner may send:
///         `OnlyNFTOwner`). Nothing else mints: the supply on Base is exactly the set of tokens locked in the
///         adapter on peaq.
contract MachineNFTBase is ONFT721 {
    constructor(string memory _name, string memory _symbol, address _lzEndpoint, address _delegate)
        ONFT721(_name, _symbol, _lzEndpoint, _delegate)
    {}
}
