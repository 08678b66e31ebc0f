// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ONFT721Adapter} from "@layerzerolabs/onft-evm/contracts/onft721/ONFT721Adapter.sol";

/// @dev The one view of MachineNFT the adapter needs (OpenZeppelin's Pausable).
interface IPausableToken {
    function paused() external view returns (bool);
}

/// @title MachineNFTAdapter
/// @notice peaq side of the Machine NFT bridge: a LayerZero V2 ONFT721Adapter over MachineNFT. Sending locks the
///         token in this contract (`transferFrom(owner, adapter, id)`, so the owner approves the adapter first);
///         a message from the Base peer unlocks it to its recipient.
/// @dev While MachineNFT is paused nothing leaves peaq: `send` reverts `BridgePausedByNFT()` (before the transfer,
///      so the token stays with its owner). Inbound messages still unlock: a token locked here is never stranded by
///      a pause.
contract MachineNFTAdapter is ONFT721Adapter {
    error BridgePausedByNFT();

    constructor(address _token, address _lzEndpoint, address _delegate)
        ONFT721Adapter(_token, _lzEndpoint, _delegate)
    {}

    function _debit(address _from, uint256 _tokenId, uint32 _dstEid) internal override {
        if (IPausableToken(address(innerToken)).paused()) revert BridgePausedByNFT();
        super._debit(_from, _tokenId, _dstEid);
    }
}
