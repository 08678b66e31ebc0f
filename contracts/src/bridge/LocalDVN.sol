// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @dev The ReceiveUln302 entry point a DVN calls.
interface IReceiveUlnVerify {
    function verify(bytes calldata _packetHeader, bytes32 _payloadHash, uint64 _confirmations) external;
}

/// @dev What SendUln302 pays a withdrawal from (its accrued worker fees).
interface ISendLibWithdraw {
    function withdrawFee(address _to, uint256 _amount) external;
}

/// @title LocalDVN
/// @notice A local LayerZero V2 DVN for the devnets: on the send side it quotes and accepts jobs from SendUln302
///         at a fixed fee (the ILayerZeroDVN surface); on the receive side its one verifier (the relayer's key)
///         submits a packet's verification to ReceiveUln302, which counts it as this DVN's. It replaces a
///         production DVN's signer quorum (`DVN.execute`) with a single key and checks nothing itself: the
///         verifier reads the packet from the source chain.
contract LocalDVN {
    struct AssignJobParam {
        uint32 dstEid;
        bytes packetHeader;
        bytes32 payloadHash;
        uint64 confirmations;
        address sender;
    }

    address public immutable receiveLib;
    address public immutable owner;
    address public verifier;
    uint256 public fee;

    event VerifierSet(address verifier);
    event FeeSet(uint256 fee);

    error OnlyOwner();
    error OnlyVerifier();

    constructor(address _receiveLib, address _verifier, uint256 _fee, address _owner) {
        receiveLib = _receiveLib;
        verifier = _verifier;
        fee = _fee;
        owner = _owner;
    }

    modifier onlyOwner() {
        if (msg.sender != owner) revert OnlyOwner();
        _;
    }

    /// @notice ILayerZeroDVN: the fee of a job (SendUln302 accrues it for this DVN).
    function assignJob(AssignJobParam calldata, bytes calldata) external payable returns (uint256) {
        return fee;
    }

    /// @notice ILayerZeroDVN: the fee quote.
    function getFee(uint32, uint64, address, bytes calldata) external view returns (uint256) {
        return fee;
    }

    /// @notice Submits this DVN's verification of a packet (header, payload hash) to ReceiveUln302.
    function verify(bytes calldata _packetHeader, bytes32 _payloadHash, uint64 _confirmations) external {
        if (msg.sender != verifier) revert OnlyVerifier();
        IReceiveUlnVerify(receiveLib).verify(_packetHeader, _payloadHash, _confirmations);
    }

    function setVerifier(address _verifier) external onlyOwner {
        verifier = _verifier;
        emit VerifierSet(_verifier);
    }

    function setFee(uint256 _fee) external onlyOwner {
        fee = _fee;
        emit FeeSet(_fee);
    }

    /// @notice Withdraws this DVN's fees accrued in `_sendLib` to `_to`.
    function withdrawFee(address _sendLib, address _to, uint256 _amount) external onlyOwner {
        ISendLibWithdraw(_sendLib).withdrawFee(_to, _amount);
    }
}
