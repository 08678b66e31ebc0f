//! The LayerZero endpoint and ULN302 surfaces the deployment and the relayer use (declared here:
//! their artifacts are installed from npm at run time, never committed), and the bindings of our
//! local DVN and executor.
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

    /// `UlnConfig` of ULN302 (DVNs sorted ascending).
    #[derive(Debug, PartialEq, Eq)]
    struct UlnConfig {
        uint64 confirmations;
        uint8 requiredDVNCount;
        uint8 optionalDVNCount;
        uint8 optionalDVNThreshold;
        address[] requiredDVNs;
        address[] optionalDVNs;
    }
    /// Default ULN config for a remote eid.
    #[derive(Debug)]
    struct SetDefaultUlnConfigParam {
        uint32 eid;
        UlnConfig config;
    }
    /// `ExecutorConfig` of SendUln302.
    #[derive(Debug, PartialEq, Eq)]
    struct ExecutorConfig {
        uint32 maxMessageSize;
        address executor;
    }
    /// Default executor config for a remote eid.
    #[derive(Debug)]
    struct SetDefaultExecutorConfigParam {
        uint32 eid;
        ExecutorConfig config;
    }

    /// LayerZero V2 `SendUln302` (the functions used here).
    #[sol(rpc)]
    #[derive(Debug)]
    interface SendUln302 {
        function setDefaultUlnConfigs(SetDefaultUlnConfigParam[] params) external;
        function setDefaultExecutorConfigs(SetDefaultExecutorConfigParam[] params) external;
        function getUlnConfig(address oapp, uint32 remoteEid) external view returns (UlnConfig);
        function getExecutorConfig(address oapp, uint32 remoteEid) external view returns (ExecutorConfig);
        function version() external pure returns (uint64 major, uint8 minor, uint8 endpointVersion);
    }

    /// LayerZero V2 `ReceiveUln302` (the functions used here).
    #[sol(rpc)]
    #[derive(Debug)]
    interface ReceiveUln302 {
        event PayloadVerified(address dvn, bytes header, uint256 confirmations, bytes32 proofHash);
        error LZ_ULN_Verifying();
        error LZ_ULN_InvalidPacketHeader();
        error LZ_ULN_InvalidPacketVersion();
        error LZ_ULN_InvalidEid();
        function setDefaultUlnConfigs(SetDefaultUlnConfigParam[] params) external;
        function getUlnConfig(address oapp, uint32 remoteEid) external view returns (UlnConfig);
        function verify(bytes packetHeader, bytes32 payloadHash, uint64 confirmations) external;
        function commitVerification(bytes packetHeader, bytes32 payloadHash) external;
        function hashLookup(bytes32 headerHash, bytes32 payloadHash, address dvn) external view returns (bool submitted, uint64 confirmations);
        function version() external pure returns (uint64 major, uint8 minor, uint8 endpointVersion);
    }
}

alloy::sol!(
    /// The devnets' DVN (ours, MIT): fixed-fee jobs on the send side, one verifier on the receive side.
    #[sol(rpc)]
    #[derive(Debug, PartialEq, Eq)]
    LocalDVN,
    "../../contracts/out/LocalDVN.json"
);
alloy::sol!(
    /// The devnets' executor (ours, MIT): fixed-fee jobs; delivery is the relayer's `lzReceive`.
    #[sol(rpc)]
    #[derive(Debug, PartialEq, Eq)]
    LocalExecutor,
    "../../contracts/out/LocalExecutor.json"
);
