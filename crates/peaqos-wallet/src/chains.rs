//! Chain families the OWS reference derives, their default paths, CAIP-2 ids and address
//! encodings.

use alloy::primitives::{Address, keccak256};
use blake2::digest::{Update, VariableOutput};
use blake2::{Blake2bVar, Digest};
use ripemd::Ripemd160;
use sha2::Sha256;

use crate::error::WalletError;

/// The elliptic curve a family signs with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Curve {
    /// secp256k1, BIP-32 derivation.
    Secp256k1,
    /// ed25519, SLIP-10 derivation.
    Ed25519,
}

/// A chain family, in the order the reference writes accounts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChainFamily {
    /// Every EVM chain (one address).
    Evm,
    /// Solana.
    Solana,
    /// Bitcoin (BIP-84 native segwit).
    Bitcoin,
    /// Cosmos Hub.
    Cosmos,
    /// Tron.
    Tron,
    /// TON (wallet v5r1, non-bounceable base64url).
    Ton,
    /// Spark (Bitcoin L2).
    Spark,
    /// Filecoin (f1 secp256k1).
    Filecoin,
    /// Sui.
    Sui,
    /// XRP Ledger.
    Xrpl,
    /// Nano.
    Nano,
    /// NEAR (implicit account).
    Near,
}

impl ChainFamily {
    /// All families, in the reference's account order.
    pub const ALL: [ChainFamily; 12] = [
        ChainFamily::Evm,
        ChainFamily::Solana,
        ChainFamily::Bitcoin,
        ChainFamily::Cosmos,
        ChainFamily::Tron,
        ChainFamily::Ton,
        ChainFamily::Spark,
        ChainFamily::Filecoin,
        ChainFamily::Sui,
        ChainFamily::Xrpl,
        ChainFamily::Nano,
        ChainFamily::Near,
    ];

    /// Lower-case family name (the reference's chain argument).
    pub const fn name(self) -> &'static str {
        match self {
            ChainFamily::Evm => "evm",
            ChainFamily::Solana => "solana",
            ChainFamily::Bitcoin => "bitcoin",
            ChainFamily::Cosmos => "cosmos",
            ChainFamily::Tron => "tron",
            ChainFamily::Ton => "ton",
            ChainFamily::Spark => "spark",
            ChainFamily::Filecoin => "filecoin",
            ChainFamily::Sui => "sui",
            ChainFamily::Xrpl => "xrpl",
            ChainFamily::Nano => "nano",
            ChainFamily::Near => "near",
        }
    }

    /// The CAIP-2 id the reference stores for this family.
    pub const fn caip2(self) -> &'static str {
        match self {
            ChainFamily::Evm => "eip155:1",
            ChainFamily::Solana => "solana:5eykt4UsFv8P8NJdTREpY1vzqKqZKvdp",
            ChainFamily::Bitcoin => "bip122:000000000019d6689c085ae165831e93",
            ChainFamily::Cosmos => "cosmos:cosmoshub-4",
            ChainFamily::Tron => "tron:mainnet",
            ChainFamily::Ton => "ton:mainnet",
            ChainFamily::Spark => "spark:mainnet",
            ChainFamily::Filecoin => "fil:mainnet",
            ChainFamily::Sui => "sui:mainnet",
            ChainFamily::Xrpl => "xrpl:mainnet",
            ChainFamily::Nano => "nano:mainnet",
            ChainFamily::Near => "near:mainnet",
        }
    }

    /// The family's curve.
    pub const fn curve(self) -> Curve {
        match self {
            ChainFamily::Solana
            | ChainFamily::Ton
            | ChainFamily::Sui
            | ChainFamily::Nano
            | ChainFamily::Near => Curve::Ed25519,
            _ => Curve::Secp256k1,
        }
    }

    /// The default derivation path for account `index`.
    pub fn derivation_path(self, index: u32) -> String {
        match self {
            ChainFamily::Evm => format!("m/44'/60'/0'/0/{index}"),
            ChainFamily::Solana => format!("m/44'/501'/{index}'/0'"),
            ChainFamily::Bitcoin | ChainFamily::Spark => format!("m/84'/0'/0'/0/{index}"),
            ChainFamily::Cosmos => format!("m/44'/118'/0'/0/{index}"),
            ChainFamily::Tron => format!("m/44'/195'/0'/0/{index}"),
            ChainFamily::Ton => format!("m/44'/607'/{index}'"),
            ChainFamily::Filecoin => format!("m/44'/461'/0'/0/{index}"),
            ChainFamily::Sui => format!("m/44'/784'/{index}'/0'/0'"),
            ChainFamily::Xrpl => format!("m/44'/144'/0'/0/{index}"),
            ChainFamily::Nano => format!("m/44'/165'/{index}'"),
            ChainFamily::Near => format!("m/44'/397'/{index}'"),
        }
    }

    /// Parses a chain argument as the reference does: a family name, an EVM chain name,
    /// a CAIP-2 id (`eip155:8453`, `solana:...`) or a bare EVM chain id.
    pub fn parse(chain: &str) -> Result<ChainFamily, WalletError> {
        let c = chain.trim().to_ascii_lowercase();
        let evm_names = [
            "evm",
            "ethereum",
            "peaq",
            "base",
            "arbitrum",
            "optimism",
            "polygon",
            "bsc",
            "avalanche",
            "plasma",
            "etherlink",
        ];
        if evm_names.contains(&c.as_str())
            || c.starts_with("eip155:")
            || (!c.is_empty() && c.bytes().all(|b| b.is_ascii_digit()))
        {
            return Ok(ChainFamily::Evm);
        }
        for f in ChainFamily::ALL {
            if c == f.name() || c == f.caip2() {
                return Ok(f);
            }
        }
        match c.as_str() {
            "fil" => Ok(ChainFamily::Filecoin),
            "btc" => Ok(ChainFamily::Bitcoin),
            _ => Err(WalletError::ChainNotSupported(chain.to_string())),
        }
    }

    /// The family of a stored CAIP-2 id, if known.
    pub fn from_caip2(caip2: &str) -> Option<ChainFamily> {
        if caip2.starts_with("eip155:") {
            return Some(ChainFamily::Evm);
        }
        ChainFamily::ALL.into_iter().find(|f| f.caip2() == caip2)
    }

    /// The address for this family from the raw secret of its curve.
    pub fn address(self, secret: &[u8; 32]) -> Result<String, WalletError> {
        use crate::hd::{
            ed25519_public, secp256k1_public_compressed, secp256k1_public_uncompressed,
        };
        Ok(match self {
            ChainFamily::Evm => {
                evm_address(&secp256k1_public_uncompressed(secret)?).to_checksum(None)
            }
            ChainFamily::Solana => bs58::encode(ed25519_public(secret)).into_string(),
            ChainFamily::Bitcoin => {
                use bech32::ToBase32;
                let h = hash160(&secp256k1_public_compressed(secret)?);
                // P2WPKH: witness version 0, then the 20-byte program, Bech32 (BIP-173).
                let mut data = vec![bech32::u5::try_from_u8(0).expect("witness version 0")];
                data.extend(h.to_base32());
                bech32::encode("bc", data, bech32::Variant::Bech32).expect("valid hrp")
            }
            ChainFamily::Cosmos => {
                use bech32::ToBase32;
                let h = hash160(&secp256k1_public_compressed(secret)?);
                bech32::encode("cosmos", h.to_base32(), bech32::Variant::Bech32).expect("valid hrp")
            }
            ChainFamily::Tron => {
                let a = evm_address(&secp256k1_public_uncompressed(secret)?);
                let mut payload = vec![0x41u8];
                payload.extend_from_slice(a.as_slice());
                bs58::encode(payload).with_check().into_string()
            }
            ChainFamily::Ton => ton_v5r1_address(&ed25519_public(secret)),
            ChainFamily::Spark => format!(
                "spark:{}",
                hex::encode(secp256k1_public_compressed(secret)?)
            ),
            ChainFamily::Filecoin => filecoin_f1(&secp256k1_public_uncompressed(secret)?),
            ChainFamily::Sui => {
                let mut h = Blake2bVar::new(32).expect("valid size");
                h.update(&[0x00]);
                h.update(&ed25519_public(secret));
                let mut out = [0u8; 32];
                h.finalize_variable(&mut out).expect("size");
                format!("0x{}", hex::encode(out))
            }
            ChainFamily::Xrpl => {
                let mut payload = vec![0x00u8];
                payload.extend_from_slice(&hash160(&secp256k1_public_compressed(secret)?));
                bs58::encode(payload)
                    .with_alphabet(bs58::Alphabet::RIPPLE)
                    .with_check()
                    .into_string()
            }
            ChainFamily::Nano => nano_address(&nano_public(secret)),
            ChainFamily::Near => hex::encode(ed25519_public(secret)),
        })
    }
}

/// Keccak-256 EVM address of an uncompressed public key.
pub fn evm_address(uncompressed: &[u8; 65]) -> Address {
    Address::from_slice(&keccak256(&uncompressed[1..])[12..])
}

fn hash160(data: &[u8]) -> [u8; 20] {
    Ripemd160::digest(Sha256::digest(data)).into()
}

fn blake2b(data: &[&[u8]], len: usize) -> Vec<u8> {
    let mut h = Blake2bVar::new(len).expect("valid size");
    for d in data {
        h.update(d);
    }
    let mut out = vec![0u8; len];
    h.finalize_variable(&mut out).expect("size");
    out
}

fn filecoin_f1(uncompressed: &[u8; 65]) -> String {
    let payload = blake2b(&[uncompressed], 20);
    let checksum = blake2b(&[&[0x01], &payload], 4);
    let mut all = payload;
    all.extend_from_slice(&checksum);
    format!(
        "f1{}",
        data_encoding::BASE32_NOPAD
            .encode(&all)
            .to_ascii_lowercase()
    )
}

/// Nano derives its public key with ed25519 over BLAKE2b-512 (not SHA-512).
fn nano_public(secret: &[u8; 32]) -> [u8; 32] {
    let h = blake2::Blake2b512::digest(secret);
    let mut expanded = [0u8; 64];
    expanded.copy_from_slice(&h);
    let esk = ed25519_dalek::hazmat::ExpandedSecretKey::from_bytes(&expanded);
    ed25519_dalek::VerifyingKey::from(&esk).to_bytes()
}

fn nano_base32(bits: &[bool]) -> String {
    const ALPHABET: &[u8; 32] = b"13456789abcdefghijkmnopqrstuwxyz";
    bits.chunks(5)
        .map(|c| {
            let v = c.iter().fold(0usize, |acc, b| acc << 1 | usize::from(*b));
            ALPHABET[v] as char
        })
        .collect()
}

fn to_bits(bytes: &[u8]) -> Vec<bool> {
    bytes
        .iter()
        .flat_map(|b| (0..8).rev().map(move |i| b >> i & 1 == 1))
        .collect()
}

fn nano_address(public: &[u8; 32]) -> String {
    let mut bits = vec![false; 4];
    bits.extend(to_bits(public));
    let mut checksum = blake2b(&[public], 5);
    checksum.reverse();
    format!(
        "nano_{}{}",
        nano_base32(&bits),
        nano_base32(&to_bits(&checksum))
    )
}

/// Representation hash of the wallet v5r1 code cell.
const TON_V5R1_CODE_HASH: [u8; 32] = [
    0x20, 0x83, 0x4b, 0x7b, 0x72, 0xb1, 0x12, 0x14, 0x7e, 0x1b, 0x2f, 0xb4, 0x57, 0xb8, 0x4e, 0x74,
    0xd1, 0xa3, 0x0f, 0x04, 0xf7, 0x37, 0xd4, 0xf6, 0x2a, 0x66, 0x8e, 0x95, 0x52, 0xd2, 0xb7, 0x2f,
];
/// Depth of the wallet v5r1 code cell.
const TON_V5R1_CODE_DEPTH: u16 = 6;
/// Default v5r1 wallet id on mainnet (network -239, workchain 0, subwallet 0).
const TON_V5R1_WALLET_ID: u32 = 0x7FFF_FF11;

/// TON wallet v5r1 address (workchain 0), user-friendly non-bounceable base64url (`UQ...`).
pub fn ton_v5r1_address(public: &[u8; 32]) -> String {
    // data cell: is_signature_allowed(1) seqno(32) wallet_id(32) pubkey(256) extensions(1) = 322 bits
    let mut bits = vec![true];
    bits.extend(to_bits(&0u32.to_be_bytes()));
    bits.extend(to_bits(&TON_V5R1_WALLET_ID.to_be_bytes()));
    bits.extend(to_bits(public));
    bits.push(false);
    let data_hash = ton_cell_hash(&bits, &[]);
    // state init: split_depth?(0) special?(0) code?(1) data?(1) library?(0)
    let state_bits = [false, false, true, true, false];
    let state_hash = ton_cell_hash(
        &state_bits,
        &[(TON_V5R1_CODE_DEPTH, TON_V5R1_CODE_HASH), (0, data_hash)],
    );
    let mut raw = vec![0x51u8, 0x00];
    raw.extend_from_slice(&state_hash);
    let crc = crc::Crc::<u16>::new(&crc::CRC_16_XMODEM).checksum(&raw);
    raw.extend_from_slice(&crc.to_be_bytes());
    data_encoding::BASE64URL.encode(&raw)
}

/// Standard (level 0, ordinary) cell representation hash.
fn ton_cell_hash(bits: &[bool], refs: &[(u16, [u8; 32])]) -> [u8; 32] {
    let n = bits.len();
    let d1 = refs.len() as u8;
    let d2 = (n / 8 + n.div_ceil(8)) as u8;
    let mut padded = bits.to_vec();
    if !n.is_multiple_of(8) {
        padded.push(true);
        while !padded.len().is_multiple_of(8) {
            padded.push(false);
        }
    }
    let mut h = Sha256::new();
    sha2::Digest::update(&mut h, [d1, d2]);
    let bytes: Vec<u8> = padded
        .chunks(8)
        .map(|c| c.iter().fold(0u8, |acc, b| acc << 1 | u8::from(*b)))
        .collect();
    sha2::Digest::update(&mut h, &bytes);
    for (depth, _) in refs {
        sha2::Digest::update(&mut h, depth.to_be_bytes());
    }
    for (_, hash) in refs {
        sha2::Digest::update(&mut h, hash);
    }
    h.finalize().into()
}
