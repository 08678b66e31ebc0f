//! The LayerZero endpoint and message library surfaces the deployment and the relayer use
//! (declared here: their artifacts are installed from npm at run time, never committed).
#![allow(missing_docs, clippy::too_many_arguments)]

alloy::sol! {
    /// `Origin` of an inbound packet.
    #[derive(Debug, PartialEq, Eq)]
    struct Origin {
        uint32 srcEid;
        bytes32 sender;
        uint64 nonce;
    }

    /// LayerZero V2 `EndpointV2` (the functions used here).
    #[sol(rpc)]
    #[derive(Debug)]
    interface EndpointV2 {
        event PacketSent(bytes encodedPayload, bytes options, address sendLibrary);
        event PacketVerified(Origin origin, address receiver, bytes32 payloadHash);
        event PacketDelivered(Origin origin, address receiver);

        error LZ_InvalidNonce(uint64 nonce);
        error LZ_PayloadHashNotFound(bytes32 expected, bytes32 actual);
        error LZ_PathNotVerifiable();
        error LZ_PathNotInitializable();
        error LZ_InvalidReceiveLibrary();
        error LZ_InsufficientFee(uint256 requiredNative, uint256 suppliedNative, uint256 requiredLzToken, uint256 suppliedLzToken);

        function eid() external view returns (uint32);
        function owner() external view returns (address);
        function registerLibrary(address lib) external;
        function isRegisteredLibrary(address lib) external view returns (bool);
        function setDefaultSendLibrary(uint32 eid, address newLib) external;
        function setDefaultReceiveLibrary(uint32 eid, address newLib, uint256 gracePeriod) external;
        function defaultReceiveLibrary(uint32 eid) external view returns (address);
        function defaultSendLibrary(uint32 eid) external view returns (address);
        function lzReceive(Origin origin, address receiver, bytes32 guid, bytes message, bytes extraData) external payable;
        function inboundPayloadHash(address receiver, uint32 srcEid, bytes32 sender, uint64 nonce) external view returns (bytes32);
        function lazyInboundNonce(address receiver, uint32 srcEid, bytes32 sender) external view returns (uint64);
        function inboundNonce(address receiver, uint32 srcEid, bytes32 sender) external view returns (uint64);
        function outboundNonce(address sender, uint32 dstEid, bytes32 receiver) external view returns (uint64);
    }

    /// LayerZero V2 `SimpleMessageLib` (send and receive; verification by a whitelisted caller).
    #[sol(rpc)]
    #[derive(Debug)]
    interface SimpleMessageLib {
        error OnlyWhitelistCaller();
        function validatePacket(bytes packetBytes) external;
        function setMessagingFee(uint256 nativeFee, uint256 lzTokenFee) external;
        function setWhitelistCaller(address whitelistCaller) external;
        function whitelistCaller() external view returns (address);
        function nativeFee() external view returns (uint256);
        function version() external pure returns (uint64 major, uint8 minor, uint8 endpointVersion);
    }
}
