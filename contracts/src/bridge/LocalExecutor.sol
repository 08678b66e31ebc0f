// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @dev What SendUln302 pays a withdrawal from (its accrued worker fees).
interface ISendLibWithdrawFee {
    function withdrawFee(address _to, uint256 _amount) external;
}

/// @title LocalExecutor
/// @notice A local LayerZero V2 executor for the devnets: SendUln302 quotes and assigns jobs to it at a fixed fee
///         (the ILayerZeroExecutor surface). The execution itself, `EndpointV2.lzReceive` with the gas of the
///         packet's options, is permissionless and done by the relayer's key, so nothing here runs on the
///         destination.
contract LocalExecutor {
    address public immutable owner;
    uint256 public fee;

    event FeeSet(uint256 fee);

    error OnlyOwner();

    constructor(uint256 _fee, address _owner) {
        fee = _fee;
        owner = _owner;
    }

    /// @notice ILayerZeroExecutor: the fee of a job (SendUln302 accrues it for this executor).
    function assignJob(uint32, address, uint256, bytes calldata) external view returns (uint256) {
        return fee;
    }

    /// @notice ILayerZeroExecutor: the fee quote.
    function getFee(uint32, address, uint256, bytes calldata) external view returns (uint256) {
        return fee;
    }

    function setFee(uint256 _fee) external {
        if (msg.sender != owner) revert OnlyOwner();
        fee = _fee;
        emit FeeSet(_fee);
    }

    /// @notice Withdraws this executor's fees accrued in `_sendLib` to `_to`.
    function withdrawFee(address _sendLib, address _to, uint256 _amount) external {
        if (msg.sender != owner) revert OnlyOwner();
        ISendLibWithdrawFee(_sendLib).withdrawFee(_to, _amount);
    }
}
