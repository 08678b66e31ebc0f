//! LayerZero V2 wire formats, pure: the PacketV1 codec (`PacketSent.encodedPayload`), the GUID,
//! the payload hash, and executor options (type 3, and the legacy types 1 and 2).
//!
//! PacketV1 = `uint8 version (1) | uint64 nonce | uint32 srcEid | bytes32 sender | uint32 dstEid |
//! bytes32 receiver | bytes32 guid | bytes message`. The first 81 bytes are the header; the
//! payload is `guid ‖ message`; `payloadHash = keccak256(payload)`;
//! `guid = keccak256(nonce ‖ srcEid ‖ sender ‖ dstEid ‖ receiver)` (packed).

use alloy::primitives::{Address, B256, keccak256};

/// PacketV1's version byte.
pub const PACKET_VERSION: u8 = 1;
/// Length of a PacketV1 header.
pub const HEADER_LEN: usize = 81;
/// Offset of the GUID (the payload starts there).
const GUID_OFFSET: usize = HEADER_LEN;
/// Offset of the message.
const MESSAGE_OFFSET: usize = GUID_OFFSET + 32;

/// Why bytes are not a PacketV1 or options are not understood.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodecError {
    /// Shorter than header + GUID.
    #[error("packet of {0} bytes is shorter than the 113 bytes of a PacketV1 header and GUID")]
    TooShort(usize),
    /// Not version 1.
    #[error("packet version {0} is not 1")]
    Version(u8),
    /// The GUID in the packet is not the one its header implies.
    #[error("packet GUID {found} differs from the GUID of its header {expected}")]
    Guid {
        /// In the packet.
        found: B256,
        /// From the header.
        expected: B256,
    },
    /// Options that cannot be parsed.
    #[error("options: {0}")]
    Options(String),
}

/// A LayerZero V2 packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Packet {
    /// Per-pathway nonce, from 1.
    pub nonce: u64,
    /// Source endpoint id.
    pub src_eid: u32,
    /// Sending OApp (an address left-padded to 32 bytes on EVM chains).
    pub sender: B256,
    /// Destination endpoint id.
    pub dst_eid: u32,
    /// Receiving OApp.
    pub receiver: B256,
    /// Unique id of the message.
    pub guid: B256,
    /// The OApp's message.
    pub message: Vec<u8>,
}

/// `keccak256(abi.encodePacked(nonce, srcEid, sender, dstEid, receiver))`.
pub fn guid(nonce: u64, src_eid: u32, sender: B256, dst_eid: u32, receiver: B256) -> B256 {
    let mut b = Vec::with_capacity(8 + 4 + 32 + 4 + 32);
    b.extend_from_slice(&nonce.to_be_bytes());
    b.extend_from_slice(&src_eid.to_be_bytes());
    b.extend_from_slice(sender.as_slice());
    b.extend_from_slice(&dst_eid.to_be_bytes());
    b.extend_from_slice(receiver.as_slice());
    keccak256(b)
}

/// An EVM address as LayerZero's `bytes32`.
pub fn address_to_bytes32(a: Address) -> B256 {
    a.into_word()
}

/// The EVM address in a LayerZero `bytes32` (its low 20 bytes).
pub fn bytes32_to_address(b: B256) -> Address {
    Address::from_word(b)
}

impl Packet {
    /// A packet with its GUID computed from the header fields.
    pub fn new(
        nonce: u64,
        src_eid: u32,
        sender: B256,
        dst_eid: u32,
        receiver: B256,
        message: Vec<u8>,
    ) -> Self {
        Self {
            nonce,
            src_eid,
            sender,
            dst_eid,
            receiver,
            guid: guid(nonce, src_eid, sender, dst_eid, receiver),
            message,
        }
    }

    /// PacketV1 bytes.
    pub fn encode(&self) -> Vec<u8> {
        let mut b = self.header().to_vec();
        b.extend_from_slice(self.guid.as_slice());
        b.extend_from_slice(&self.message);
        b
    }

    /// Parses PacketV1 bytes; the GUID must be the one the header implies.
    pub fn decode(bytes: &[u8]) -> Result<Self, CodecError> {
        if bytes.len() < MESSAGE_OFFSET {
            return Err(CodecError::TooShort(bytes.len()));
        }
        if bytes[0] != PACKET_VERSION {
            return Err(CodecError::Version(bytes[0]));
        }
        let u64_at = |o: usize| u64::from_be_bytes(bytes[o..o + 8].try_into().expect("8 bytes"));
        let u32_at = |o: usize| u32::from_be_bytes(bytes[o..o + 4].try_into().expect("4 bytes"));
        let b32_at = |o: usize| B256::from_slice(&bytes[o..o + 32]);
        let p = Self {
            nonce: u64_at(1),
            src_eid: u32_at(9),
            sender: b32_at(13),
            dst_eid: u32_at(45),
            receiver: b32_at(49),
            guid: b32_at(GUID_OFFSET),
            message: bytes[MESSAGE_OFFSET..].to_vec(),
        };
        let expected = guid(p.nonce, p.src_eid, p.sender, p.dst_eid, p.receiver);
        if p.guid != expected {
            return Err(CodecError::Guid {
                found: p.guid,
                expected,
            });
        }
        Ok(p)
    }

    /// The 81-byte header.
    pub fn header(&self) -> [u8; HEADER_LEN] {
        let mut h = [0u8; HEADER_LEN];
        h[0] = PACKET_VERSION;
        h[1..9].copy_from_slice(&self.nonce.to_be_bytes());
        h[9..13].copy_from_slice(&self.src_eid.to_be_bytes());
        h[13..45].copy_from_slice(self.sender.as_slice());
        h[45..49].copy_from_slice(&self.dst_eid.to_be_bytes());
        h[49..81].copy_from_slice(self.receiver.as_slice());
        h
    }

    /// `guid ‖ message`.
    pub fn payload(&self) -> Vec<u8> {
        let mut b = self.guid.to_vec();
        b.extend_from_slice(&self.message);
        b
    }

    /// `keccak256(payload)`: what the endpoint stores when the packet is verified.
    pub fn payload_hash(&self) -> B256 {
        keccak256(self.payload())
    }

    /// The receiving OApp as an EVM address.
    pub fn receiver_address(&self) -> Address {
        bytes32_to_address(self.receiver)
    }
}

/// Executor option types (worker id 1).
pub mod option_type {
    /// `uint128 gas [, uint128 value]` for `lzReceive`.
    pub const LZ_RECEIVE: u8 = 1;
    /// `uint128 amount, bytes32 receiver`: native drop.
    pub const NATIVE_DROP: u8 = 2;
    /// `uint16 index, uint128 gas [, uint128 value]` for `lzCompose`.
    pub const LZ_COMPOSE: u8 = 3;
    /// Ordered execution (no parameters).
    pub const ORDERED_EXECUTION: u8 = 4;
}

/// Executor worker id in type-3 options.
pub const EXECUTOR_WORKER_ID: u8 = 1;
/// DVN worker id in type-3 options.
pub const DVN_WORKER_ID: u8 = 2;

/// What the executor is asked to do on the destination, summed over every option (as LayerZero's
/// executor fee library does: gas and value of repeated `lzReceive` options add up).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExecutorOptions {
    /// Gas for `lzReceive`.
    pub lz_receive_gas: u128,
    /// Value sent with `lzReceive`.
    pub lz_receive_value: u128,
    /// Native drops `(amount, receiver)`.
    pub native_drops: Vec<(u128, B256)>,
    /// `lzCompose` requests `(index, gas, value)`.
    pub composes: Vec<(u16, u128, u128)>,
    /// Ordered execution was asked for.
    pub ordered: bool,
}

fn u128_be(b: &[u8]) -> u128 {
    let mut buf = [0u8; 16];
    buf[16 - b.len()..].copy_from_slice(b);
    u128::from_be_bytes(buf)
}

/// Parses LayerZero options: type 3 (`0x0003` then `workerId u8 | size u16 | optionType u8 |
/// params`), legacy type 1 (`0x0001 | uint256 gas`) and type 2 (`0x0002 | uint256 gas | uint256
/// amount | bytes32 receiver`). DVN options are skipped. Empty options parse as nothing asked.
pub fn parse_options(options: &[u8]) -> Result<ExecutorOptions, CodecError> {
    let bad = |m: &str| CodecError::Options(m.to_string());
    let mut out = ExecutorOptions::default();
    if options.is_empty() {
        return Ok(out);
    }
    if options.len() < 2 {
        return Err(bad("shorter than the 2-byte type"));
    }
    let kind = u16::from_be_bytes([options[0], options[1]]);
    let body = &options[2..];
    match kind {
        1 => {
            if body.len() != 32 {
                return Err(bad("type 1 needs exactly a uint256 gas"));
            }
            out.lz_receive_gas = legacy_u128(&body[..32])?;
        }
        2 => {
            if body.len() != 96 && body.len() != 84 {
                return Err(bad("type 2 needs uint256 gas, uint256 amount, receiver"));
            }
            out.lz_receive_gas = legacy_u128(&body[..32])?;
            let amount = legacy_u128(&body[32..64])?;
            let receiver = &body[64..];
            let mut r = [0u8; 32];
            r[32 - receiver.len()..].copy_from_slice(receiver);
            out.native_drops.push((amount, B256::from(r)));
        }
        3 => {
            let mut i = 0;
            while i < body.len() {
                if body.len() - i < 3 {
                    return Err(bad("truncated option header"));
                }
                let worker = body[i];
                let size = u16::from_be_bytes([body[i + 1], body[i + 2]]) as usize;
                i += 3;
                if size == 0 || body.len() - i < size {
                    return Err(bad("option size past the end"));
                }
                let opt = &body[i..i + size];
                i += size;
                match worker {
                    EXECUTOR_WORKER_ID => executor_option(&mut out, opt[0], &opt[1..])?,
                    DVN_WORKER_ID => {}
                    w => return Err(CodecError::Options(format!("unknown worker id {w}"))),
                }
            }
        }
        k => return Err(CodecError::Options(format!("unknown options type {k}"))),
    }
    Ok(out)
}

fn legacy_u128(word: &[u8]) -> Result<u128, CodecError> {
    if word[..16].iter().any(|b| *b != 0) {
        return Err(CodecError::Options("legacy value above uint128".into()));
    }
    Ok(u128_be(&word[16..32]))
}

fn executor_option(out: &mut ExecutorOptions, t: u8, p: &[u8]) -> Result<(), CodecError> {
    let bad = |m: &str| Err(CodecError::Options(m.to_string()));
    let add = |a: u128, b: u128| {
        a.checked_add(b)
            .ok_or_else(|| CodecError::Options("gas or value overflows uint128".into()))
    };
    match t {
        option_type::LZ_RECEIVE => match p.len() {
            16 => out.lz_receive_gas = add(out.lz_receive_gas, u128_be(p))?,
            32 => {
                out.lz_receive_gas = add(out.lz_receive_gas, u128_be(&p[..16]))?;
                out.lz_receive_value = add(out.lz_receive_value, u128_be(&p[16..]))?;
            }
            _ => return bad("lzReceive option is uint128 gas [, uint128 value]"),
        },
        option_type::NATIVE_DROP => {
            if p.len() != 48 {
                return bad("nativeDrop option is uint128 amount, bytes32 receiver");
            }
            out.native_drops
                .push((u128_be(&p[..16]), B256::from_slice(&p[16..])));
        }
        option_type::LZ_COMPOSE => {
            let (gas, value) = match p.len() {
                18 => (u128_be(&p[2..18]), 0),
                34 => (u128_be(&p[2..18]), u128_be(&p[18..34])),
                _ => return bad("lzCompose option is uint16 index, uint128 gas [, uint128 value]"),
            };
            out.composes
                .push((u16::from_be_bytes([p[0], p[1]]), gas, value));
        }
        option_type::ORDERED_EXECUTION => {
            if !p.is_empty() {
                return bad("orderedExecution option has no parameters");
            }
            out.ordered = true;
        }
        other => {
            return Err(CodecError::Options(format!(
                "unknown executor option {other}"
            )));
        }
    }
    Ok(())
}

/// Type-3 options with one executor `lzReceive` option (`OptionsBuilder.newOptions()
/// .addExecutorLzReceiveOption(gas, value)`); `value` 0 is left out, as the builder does.
pub fn lz_receive_option(gas: u128, value: u128) -> Vec<u8> {
    let mut b = vec![0x00, 0x03, EXECUTOR_WORKER_ID];
    let params: Vec<u8> = if value == 0 {
        gas.to_be_bytes().to_vec()
    } else {
        [gas.to_be_bytes(), value.to_be_bytes()].concat()
    };
    b.extend_from_slice(&((params.len() + 1) as u16).to_be_bytes());
    b.push(option_type::LZ_RECEIVE);
    b.extend_from_slice(&params);
    b
}

/// ONFT721's message: `bytes32 sendTo ‖ uint256 tokenId` (plus compose data, when any).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OnftMessage {
    /// Recipient on the destination.
    pub send_to: B256,
    /// The token.
    pub token_id: alloy::primitives::U256,
    /// Whether compose data follows.
    pub composed: bool,
}

impl OnftMessage {
    /// Parses an ONFT721 message (64 bytes, or more with compose data).
    pub fn decode(m: &[u8]) -> Option<Self> {
        if m.len() < 64 {
            return None;
        }
        Some(Self {
            send_to: B256::from_slice(&m[..32]),
            token_id: alloy::primitives::U256::from_be_slice(&m[32..64]),
            composed: m.len() > 64,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy::primitives::{U256, b256, hex};
    use proptest::prelude::*;

    #[test]
    fn the_sdk_default_options_are_lz_receive_200000() {
        let o = parse_options(&peaqos_types::constants::DEFAULT_LAYERZERO_EXTRA_OPTIONS).unwrap();
        assert_eq!(o.lz_receive_gas, 200_000);
        assert_eq!(o.lz_receive_value, 0);
        assert_eq!(
            lz_receive_option(200_000, 0),
            hex!("00030100110100000000000000000000000000030d40").to_vec()
        );
    }

    #[test]
    fn combined_options_add_up_as_the_executor_does() {
        // OAppOptionsType3.combineOptions: enforced ‖ extra[2..].
        let enforced = lz_receive_option(200_000, 0);
        let extra = lz_receive_option(50_000, 7);
        let combined = [enforced, extra[2..].to_vec()].concat();
        let o = parse_options(&combined).unwrap();
        assert_eq!((o.lz_receive_gas, o.lz_receive_value), (250_000, 7));
    }

    #[test]
    fn legacy_type_1_and_malformed_options() {
        let mut t1 = vec![0, 1];
        t1.extend_from_slice(&U256::from(123_456).to_be_bytes::<32>());
        assert_eq!(parse_options(&t1).unwrap().lz_receive_gas, 123_456);
        assert!(parse_options(&[0, 3, 1, 0, 17, 1]).is_err());
        assert!(parse_options(&[0, 9]).is_err());
        assert!(parse_options(&[0, 3, 7, 0, 1, 1]).is_err());
        assert_eq!(parse_options(&[]).unwrap(), ExecutorOptions::default());
        // A DVN option is skipped.
        let dvn = [0u8, 3, 2, 0, 2, 0, 1];
        assert_eq!(parse_options(&dvn).unwrap(), ExecutorOptions::default());
    }

    #[test]
    fn decode_rejects_short_wrong_version_and_forged_guid() {
        let p = Packet::new(
            1,
            30302,
            B256::repeat_byte(1),
            30184,
            B256::repeat_byte(2),
            vec![9],
        );
        let mut b = p.encode();
        assert_eq!(Packet::decode(&b[..100]), Err(CodecError::TooShort(100)));
        b[0] = 2;
        assert_eq!(Packet::decode(&b), Err(CodecError::Version(2)));
        b[0] = 1;
        b[GUID_OFFSET] ^= 0xff;
        assert!(matches!(Packet::decode(&b), Err(CodecError::Guid { .. })));
    }

    #[test]
    fn guid_matches_layerzero_for_a_known_header() {
        // keccak256(abi.encodePacked(uint64 1, uint32 30302, bytes32 A, uint32 30184, bytes32 B))
        // computed independently of this module from the packed bytes.
        let sender = b256!("0x000000000000000000000000aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
        let receiver = b256!("0x000000000000000000000000bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb");
        let packed = hex::decode(concat!(
            "0000000000000001",
            "0000765e",
            "000000000000000000000000aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            "000075e8",
            "000000000000000000000000bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
        ))
        .unwrap();
        assert_eq!(guid(1, 30302, sender, 30184, receiver), keccak256(packed));
    }

    #[test]
    fn onft_message() {
        let mut m = B256::repeat_byte(3).to_vec();
        m.extend_from_slice(&U256::from(42).to_be_bytes::<32>());
        let d = OnftMessage::decode(&m).unwrap();
        assert_eq!(
            (d.send_to, d.token_id, d.composed),
            (B256::repeat_byte(3), U256::from(42), false)
        );
        assert!(OnftMessage::decode(&m[..63]).is_none());
    }

    proptest! {
        #[test]
        fn packets_round_trip(nonce: u64, src: u32, dst: u32, s: [u8; 32], r: [u8; 32],
                              message in proptest::collection::vec(any::<u8>(), 0..300)) {
            let p = Packet::new(nonce, src, B256::from(s), dst, B256::from(r), message.clone());
            let bytes = p.encode();
            prop_assert_eq!(bytes.len(), HEADER_LEN + 32 + message.len());
            let d = Packet::decode(&bytes).unwrap();
            prop_assert_eq!(&d, &p);
            prop_assert_eq!(&bytes[..HEADER_LEN], &p.header()[..]);
            prop_assert_eq!(d.payload_hash(), keccak256(&bytes[HEADER_LEN..]));
        }

        #[test]
        fn lz_receive_options_round_trip(gas: u128, value: u128) {
            let o = parse_options(&lz_receive_option(gas, value)).unwrap();
            prop_assert_eq!((o.lz_receive_gas, o.lz_receive_value), (gas, value));
        }

        #[test]
        fn arbitrary_bytes_never_panic(b in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = parse_options(&b);
            let _ = Packet::decode(&b);
        }
    }
}
