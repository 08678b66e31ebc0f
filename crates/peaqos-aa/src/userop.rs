//! The ERC-4337 v0.6 `UserOperation`: its JSON shape, `pack` / `userOpHash` as EntryPoint v0.6
//! computes them, and `preVerificationGas` as eth-infinitism's `calcPreVerificationGas` computes it.
//!
//! Pure: no I/O.

use alloy::primitives::{Address, B256, Bytes, U256, keccak256};
use alloy::sol_types::SolValue;
use peaqos_contracts::EntryPointV06;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A v0.6 UserOperation.
///
/// JSON (ERC-4337 v0.6 RPC shape): camelCase keys, every field a `0x` hex string, empty bytes
/// `"0x"`, quantities without leading zeros (`"0x0"` for zero). [`UserOperation::from_json`]
/// parses with a per-field error; serde's `Deserialize` is the lenient alloy one.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserOperation {
    /// The account.
    pub sender: Address,
    /// Anti-replay value: `key (192 bits) << 64 | sequence (64 bits)` (EntryPoint `getNonce`).
    pub nonce: U256,
    /// Factory address followed by its call data, when the account is not deployed yet; else empty.
    pub init_code: Bytes,
    /// What the EntryPoint calls on the account.
    pub call_data: Bytes,
    /// Gas of the main execution call.
    pub call_gas_limit: U256,
    /// Gas of the validation step (account deployment included).
    pub verification_gas_limit: U256,
    /// Gas paid for what cannot be measured on-chain (calldata, bundle overhead).
    pub pre_verification_gas: U256,
    /// EIP-1559 max fee per gas.
    pub max_fee_per_gas: U256,
    /// EIP-1559 max priority fee per gas.
    pub max_priority_fee_per_gas: U256,
    /// Paymaster address followed by its data; empty for none.
    pub paymaster_and_data: Bytes,
    /// What the account's `validateUserOp` checks.
    pub signature: Bytes,
}

/// The JSON keys of a UserOperation, in struct order.
pub const FIELDS: [&str; 11] = [
    "sender",
    "nonce",
    "initCode",
    "callData",
    "callGasLimit",
    "verificationGasLimit",
    "preVerificationGas",
    "maxFeePerGas",
    "maxPriorityFeePerGas",
    "paymasterAndData",
    "signature",
];

/// The quantity fields that `eth_estimateUserOperationGas` lets a caller leave out (they default
/// to zero), and the byte fields it defaults to `"0x"`.
const OPTIONAL_WHEN_ESTIMATING: [&str; 7] = [
    "callGasLimit",
    "verificationGasLimit",
    "preVerificationGas",
    "maxFeePerGas",
    "maxPriorityFeePerGas",
    "paymasterAndData",
    "signature",
];

/// A field of a UserOperation that is missing or malformed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid UserOperation field {field}: {reason}")]
pub struct FieldError {
    /// The JSON key (`sender`, `callGasLimit`, ...), or `userOperation` for the object itself.
    pub field: String,
    /// What is wrong with it.
    pub reason: String,
}

impl FieldError {
    fn new(field: &str, reason: impl Into<String>) -> Self {
        Self {
            field: field.to_string(),
            reason: reason.into(),
        }
    }
}

/// How strictly [`UserOperation::from_json`] reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Completeness {
    /// Every field present (`eth_sendUserOperation`).
    Full,
    /// Gas, fee, paymaster and signature fields may be absent (`eth_estimateUserOperationGas`).
    ForEstimation,
}

fn hex_digits<'a>(field: &str, v: &'a Value) -> Result<&'a str, FieldError> {
    let s = v
        .as_str()
        .ok_or_else(|| FieldError::new(field, "expected a 0x-prefixed hex string"))?;
    let digits = s
        .strip_prefix("0x")
        .or_else(|| s.strip_prefix("0X"))
        .ok_or_else(|| FieldError::new(field, "expected a 0x-prefixed hex string"))?;
    if !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(FieldError::new(field, "not a hex string"));
    }
    Ok(digits)
}

fn quantity(field: &str, v: &Value) -> Result<U256, FieldError> {
    let digits = hex_digits(field, v)?;
    if digits.is_empty() {
        return Err(FieldError::new(field, "empty quantity (zero is \"0x0\")"));
    }
    U256::from_str_radix(digits, 16).map_err(|_| FieldError::new(field, "larger than 256 bits"))
}

fn bytes(field: &str, v: &Value) -> Result<Bytes, FieldError> {
    let digits = hex_digits(field, v)?;
    if digits.len() % 2 != 0 {
        return Err(FieldError::new(field, "odd number of hex digits"));
    }
    alloy::primitives::hex::decode(digits)
        .map(Bytes::from)
        .map_err(|e| FieldError::new(field, e.to_string()))
}

fn address(field: &str, v: &Value) -> Result<Address, FieldError> {
    let b = bytes(field, v)?;
    if b.len() != 20 {
        return Err(FieldError::new(field, "expected a 20-byte address"));
    }
    Ok(Address::from_slice(&b))
}

impl UserOperation {
    /// Reads the JSON object of an RPC request, with a [`FieldError`] naming the first bad field.
    /// Unknown keys are ignored. With [`Completeness::ForEstimation`] absent (or `null`) gas,
    /// fee, paymaster and signature fields become zero / empty.
    pub fn from_json(v: &Value, completeness: Completeness) -> Result<Self, FieldError> {
        let obj = v
            .as_object()
            .ok_or_else(|| FieldError::new("userOperation", "expected a JSON object"))?;
        let get = |field: &str| -> Result<Option<&Value>, FieldError> {
            match obj.get(field).filter(|v| !v.is_null()) {
                Some(v) => Ok(Some(v)),
                None if completeness == Completeness::ForEstimation
                    && OPTIONAL_WHEN_ESTIMATING.contains(&field) =>
                {
                    Ok(None)
                }
                None => Err(FieldError::new(field, "missing")),
            }
        };
        let q = |field: &str| -> Result<U256, FieldError> {
            get(field)?.map_or(Ok(U256::ZERO), |v| quantity(field, v))
        };
        let b = |field: &str| -> Result<Bytes, FieldError> {
            get(field)?.map_or(Ok(Bytes::new()), |v| bytes(field, v))
        };
        let sender = address(
            "sender",
            get("sender")?.ok_or_else(|| FieldError::new("sender", "missing"))?,
        )?;
        let op = Self {
            sender,
            nonce: q("nonce")?,
            init_code: b("initCode")?,
            call_data: b("callData")?,
            call_gas_limit: q("callGasLimit")?,
            verification_gas_limit: q("verificationGasLimit")?,
            pre_verification_gas: q("preVerificationGas")?,
            max_fee_per_gas: q("maxFeePerGas")?,
            max_priority_fee_per_gas: q("maxPriorityFeePerGas")?,
            paymaster_and_data: b("paymasterAndData")?,
            signature: b("signature")?,
        };
        if !op.init_code.is_empty() && op.init_code.len() < 20 {
            return Err(FieldError::new(
                "initCode",
                "must be empty or start with a 20-byte factory address",
            ));
        }
        if !op.paymaster_and_data.is_empty() && op.paymaster_and_data.len() < 20 {
            return Err(FieldError::new(
                "paymasterAndData",
                "must be empty or start with a 20-byte paymaster address",
            ));
        }
        Ok(op)
    }

    /// The JSON object of the RPC shape (same as serde's `Serialize`).
    pub fn to_json(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }

    /// The factory of `initCode` (its first 20 bytes), if any.
    pub fn factory(&self) -> Option<Address> {
        (self.init_code.len() >= 20).then(|| Address::from_slice(&self.init_code[..20]))
    }

    /// The paymaster of `paymasterAndData` (its first 20 bytes), if any.
    pub fn paymaster(&self) -> Option<Address> {
        (self.paymaster_and_data.len() >= 20)
            .then(|| Address::from_slice(&self.paymaster_and_data[..20]))
    }

    /// The nonce key (upper 192 bits).
    pub fn nonce_key(&self) -> U256 {
        self.nonce >> 64
    }

    /// The nonce sequence (lower 64 bits).
    pub fn nonce_sequence(&self) -> u64 {
        (self.nonce & U256::from(u64::MAX)).to::<u64>()
    }

    /// Gas the EntryPoint reserves for the operation: `callGasLimit + verificationGasLimit * mul +
    /// preVerificationGas`, with `mul` 3 when a paymaster is set (its postOp), else 1.
    pub fn required_gas(&self) -> U256 {
        let mul = if self.paymaster_and_data.is_empty() {
            1u64
        } else {
            3
        };
        self.call_gas_limit
            .saturating_add(self.verification_gas_limit.saturating_mul(U256::from(mul)))
            .saturating_add(self.pre_verification_gas)
    }

    /// What the EntryPoint requires as prefund: [`UserOperation::required_gas`] x `maxFeePerGas`.
    pub fn required_prefund(&self) -> U256 {
        self.required_gas().saturating_mul(self.max_fee_per_gas)
    }
}

/// `UserOperationLib.pack` of EntryPoint v0.6:
/// `abi.encode(sender, nonce, keccak256(initCode), keccak256(callData), callGasLimit,
/// verificationGasLimit, preVerificationGas, maxFeePerGas, maxPriorityFeePerGas,
/// keccak256(paymasterAndData))` (the signature is not part of it).
pub fn pack(op: &UserOperation) -> Vec<u8> {
    (
        op.sender,
        op.nonce,
        keccak256(&op.init_code),
        keccak256(&op.call_data),
        op.call_gas_limit,
        op.verification_gas_limit,
        op.pre_verification_gas,
        op.max_fee_per_gas,
        op.max_priority_fee_per_gas,
        keccak256(&op.paymaster_and_data),
    )
        .abi_encode_params()
}

/// `EntryPoint.getUserOpHash`: `keccak256(abi.encode(keccak256(pack(op)), entryPoint, chainId))`.
pub fn user_op_hash(op: &UserOperation, entry_point: Address, chain_id: u64) -> B256 {
    keccak256((keccak256(pack(op)), entry_point, U256::from(chain_id)).abi_encode_params())
}

/// The overheads of eth-infinitism's `calcPreVerificationGas` (its `DefaultGasOverheads`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GasOverheads {
    /// Fixed overhead of a whole bundle transaction (21000).
    pub fixed: u64,
    /// Overhead per UserOperation (18300).
    pub per_user_op: u64,
    /// Overhead per 32-byte word of the encoded UserOperation (4).
    pub per_user_op_word: u64,
    /// Calldata cost of a zero byte (4).
    pub zero_byte: u64,
    /// Calldata cost of a non-zero byte (16).
    pub non_zero_byte: u64,
    /// Expected bundle size, to split `fixed` (1).
    pub bundle_size: u64,
    /// Length of the dummy signature used when an operation has none yet (65).
    pub sig_size: usize,
}

impl Default for GasOverheads {
    fn default() -> Self {
        Self {
            fixed: 21_000,
            per_user_op: 18_300,
            per_user_op_word: 4,
            zero_byte: 4,
            non_zero_byte: 16,
            bundle_size: 1,
            sig_size: 65,
        }
    }
}

/// The whole operation ABI-encoded with its bytes and signature (not hashed): what
/// `calcPreVerificationGas` prices (`packUserOp(op, false)` of the v0.6 SDK).
pub fn encode_for_calldata_cost(op: &UserOperation) -> Vec<u8> {
    (
        op.sender,
        op.nonce,
        op.init_code.clone(),
        op.call_data.clone(),
        op.call_gas_limit,
        op.verification_gas_limit,
        op.pre_verification_gas,
        op.max_fee_per_gas,
        op.max_priority_fee_per_gas,
        op.paymaster_and_data.clone(),
        op.signature.clone(),
    )
        .abi_encode_params()
}

/// eth-infinitism's `calcPreVerificationGas` (v0.6 SDK) of `op` as given:
/// `round(calldataCost(encoded) + fixed / bundleSize + perUserOp + perUserOpWord * (len + 31) / 32)`,
/// with JavaScript's fractional division and `Math.round` (halves up), in exact integers.
///
/// The JavaScript function first fills a missing `preVerificationGas` with 21000 and a missing
/// signature with `sigSize` bytes of `0x01`; [`pre_verification_gas_with_dummies`] does that.
pub fn calc_pre_verification_gas(op: &UserOperation, ov: &GasOverheads) -> u64 {
    let packed = encode_for_calldata_cost(op);
    let calldata_cost: u64 = packed
        .iter()
        .map(|&b| {
            if b == 0 {
                ov.zero_byte
            } else {
                ov.non_zero_byte
            }
        })
        .sum();
    let bundle = ov.bundle_size.max(1);
    // total = calldata + perUserOp + fixed / bundle + word * (len + 31) / 32, over 32 * bundle.
    let den = 32 * bundle;
    let num = (calldata_cost + ov.per_user_op) * den
        + ov.fixed * 32
        + ov.per_user_op_word * (packed.len() as u64 + 31) * bundle;
    // Math.round: floor(x + 1/2).
    (2 * num + den) / (2 * den)
}

/// [`calc_pre_verification_gas`] with the JavaScript defaults for an incomplete operation: a zero
/// `preVerificationGas` priced as 21000 and an empty signature as `sigSize` bytes of `0x01`.
pub fn pre_verification_gas_with_dummies(op: &UserOperation, ov: &GasOverheads) -> u64 {
    let mut p = op.clone();
    if p.pre_verification_gas.is_zero() {
        p.pre_verification_gas = U256::from(21_000);
    }
    if p.signature.is_empty() {
        p.signature = vec![1u8; ov.sig_size].into();
    }
    calc_pre_verification_gas(&p, ov)
}

impl From<&UserOperation> for EntryPointV06::UserOperation {
    fn from(op: &UserOperation) -> Self {
        Self {
            sender: op.sender,
            nonce: op.nonce,
            initCode: op.init_code.clone(),
            callData: op.call_data.clone(),
            callGasLimit: op.call_gas_limit,
            verificationGasLimit: op.verification_gas_limit,
            preVerificationGas: op.pre_verification_gas,
            maxFeePerGas: op.max_fee_per_gas,
            maxPriorityFeePerGas: op.max_priority_fee_per_gas,
            paymasterAndData: op.paymaster_and_data.clone(),
            signature: op.signature.clone(),
        }
    }
}

impl From<EntryPointV06::UserOperation> for UserOperation {
    fn from(op: EntryPointV06::UserOperation) -> Self {
        Self {
            sender: op.sender,
            nonce: op.nonce,
            init_code: op.initCode,
            call_data: op.callData,
            call_gas_limit: op.callGasLimit,
            verification_gas_limit: op.verificationGasLimit,
            pre_verification_gas: op.preVerificationGas,
            max_fee_per_gas: op.maxFeePerGas,
            max_priority_fee_per_gas: op.maxPriorityFeePerGas,
            paymaster_and_data: op.paymasterAndData,
            signature: op.signature,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy::primitives::{address, hex};
    use serde_json::json;

    fn sample() -> UserOperation {
        UserOperation {
            sender: address!("0x1111111111111111111111111111111111111111"),
            nonce: U256::from(5),
            init_code: Bytes::new(),
            call_data: hex!("b61d27f6").into(),
            call_gas_limit: U256::from(100_000),
            verification_gas_limit: U256::from(200_000),
            pre_verification_gas: U256::from(50_000),
            max_fee_per_gas: U256::from(3_000_000_000u64),
            max_priority_fee_per_gas: U256::from(1_000_000_000u64),
            paymaster_and_data: Bytes::new(),
            signature: vec![7u8; 65].into(),
        }
    }

    #[test]
    fn json_shape_is_camel_case_hex_with_empty_bytes_as_0x() {
        let v = sample().to_json();
        let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
        let mut want = FIELDS.to_vec();
        want.sort_unstable();
        let mut got = keys.clone();
        got.sort_unstable();
        assert_eq!(got, want);
        assert_eq!(v["nonce"], "0x5");
        assert_eq!(v["initCode"], "0x");
        assert_eq!(v["paymasterAndData"], "0x");
        assert_eq!(v["callGasLimit"], "0x186a0");
        assert_eq!(v["callData"], "0xb61d27f6");
        assert_eq!(
            UserOperation::from_json(&v, Completeness::Full).unwrap(),
            sample()
        );
    }

    #[test]
    fn from_json_names_the_bad_field() {
        let good = sample().to_json();
        let cases: Vec<(&str, Value, &str)> = vec![
            ("sender", json!("0x1234"), "20-byte"),
            ("sender", json!(12), "hex string"),
            ("nonce", json!("5"), "0x-prefixed"),
            ("nonce", json!("0x"), "empty quantity"),
            (
                "callGasLimit",
                json!(format!("0x1{}", "0".repeat(64))),
                "256 bits",
            ),
            ("callData", json!("0xabc"), "odd"),
            ("signature", json!("0xzz"), "not a hex"),
            ("initCode", json!("0x1234"), "factory address"),
            ("paymasterAndData", json!("0x12"), "paymaster address"),
        ];
        for (field, value, needle) in cases {
            let mut v = good.clone();
            v[field] = value;
            let e = UserOperation::from_json(&v, Completeness::Full).unwrap_err();
            assert_eq!(e.field, field, "{e}");
            assert!(e.reason.contains(needle), "{field}: {e}");
        }
        for field in FIELDS {
            let mut v = good.clone();
            v.as_object_mut().unwrap().remove(field);
            let e = UserOperation::from_json(&v, Completeness::Full).unwrap_err();
            assert_eq!((e.field.as_str(), e.reason.as_str()), (field, "missing"));
        }
        let e = UserOperation::from_json(&json!([]), Completeness::Full).unwrap_err();
        assert_eq!(e.field, "userOperation");
    }

    #[test]
    fn estimation_defaults_gas_fee_paymaster_and_signature() {
        let v = json!({"sender": "0x1111111111111111111111111111111111111111", "nonce": "0x0",
            "initCode": "0x", "callData": "0x", "maxFeePerGas": null});
        let op = UserOperation::from_json(&v, Completeness::ForEstimation).unwrap();
        assert_eq!(op.call_gas_limit, U256::ZERO);
        assert_eq!(op.signature, Bytes::new());
        assert!(UserOperation::from_json(&v, Completeness::Full).is_err());
        let mut no_data = v.clone();
        no_data.as_object_mut().unwrap().remove("callData");
        let e = UserOperation::from_json(&no_data, Completeness::ForEstimation).unwrap_err();
        assert_eq!(e.field, "callData");
    }

    #[test]
    fn nonce_key_and_sequence() {
        let op = UserOperation {
            nonce: (U256::from(7) << 64) | U256::from(3),
            ..sample()
        };
        assert_eq!(op.nonce_key(), U256::from(7));
        assert_eq!(op.nonce_sequence(), 3);
    }

    #[test]
    fn required_prefund_counts_verification_three_times_with_a_paymaster() {
        let mut op = sample();
        assert_eq!(op.required_gas(), U256::from(350_000));
        op.paymaster_and_data = vec![0xaa; 20].into();
        assert_eq!(op.required_gas(), U256::from(750_000));
        assert_eq!(
            op.required_prefund(),
            U256::from(750_000u64) * U256::from(3_000_000_000u64)
        );
        assert_eq!(op.paymaster(), Some(Address::repeat_byte(0xaa)));
        assert_eq!(sample().factory(), None);
    }

    #[test]
    fn pack_is_ten_words_and_hash_binds_entry_point_and_chain() {
        let op = sample();
        assert_eq!(pack(&op).len(), 10 * 32);
        let ep = peaqos_types::constants::ENTRY_POINT_V06;
        let h = user_op_hash(&op, ep, 9990);
        assert_ne!(h, user_op_hash(&op, ep, 3338));
        assert_ne!(h, user_op_hash(&op, Address::ZERO, 9990));
        // The signature is not hashed.
        let resigned = UserOperation {
            signature: Bytes::new(),
            ..op.clone()
        };
        assert_eq!(h, user_op_hash(&resigned, ep, 9990));
    }

    /// calcPreVerificationGas of an empty-ish op computed by hand: the encoding is 11 head words,
    /// 5 length words (initCode, callData, paymasterAndData empty; signature 65 bytes = 3 words).
    #[test]
    fn pre_verification_gas_matches_the_javascript_arithmetic() {
        let op = UserOperation {
            sender: address!("0x1111111111111111111111111111111111111111"),
            signature: vec![1u8; 65].into(),
            pre_verification_gas: U256::from(21_000),
            ..Default::default()
        };
        let packed = encode_for_calldata_cost(&op);
        // 11 head words + 4 length words + 3 words of signature data.
        assert_eq!(packed.len(), 18 * 32);
        let non_zero = packed.iter().filter(|b| **b != 0).count() as u64;
        let zero = packed.len() as u64 - non_zero;
        let js = (zero * 4 + non_zero * 16) as f64
            + 21_000.0
            + 18_300.0
            + 4.0 * ((packed.len() as f64 + 31.0) / 32.0);
        let ov = GasOverheads::default();
        assert_eq!(calc_pre_verification_gas(&op, &ov), js.round() as u64);
        let dummies = UserOperation {
            signature: Bytes::new(),
            pre_verification_gas: U256::ZERO,
            ..op.clone()
        };
        assert_eq!(
            pre_verification_gas_with_dummies(&dummies, &ov),
            calc_pre_verification_gas(&op, &ov)
        );
        // A bundle of 4 shares the fixed overhead.
        let four = GasOverheads {
            bundle_size: 4,
            ..ov
        };
        let js4 = (zero * 4 + non_zero * 16) as f64
            + 21_000.0 / 4.0
            + 18_300.0
            + 4.0 * ((packed.len() as f64 + 31.0) / 32.0);
        assert_eq!(calc_pre_verification_gas(&op, &four), js4.round() as u64);
    }

    #[test]
    fn sol_struct_round_trip() {
        let op = sample();
        let sol: EntryPointV06::UserOperation = (&op).into();
        assert_eq!(UserOperation::from(sol), op);
    }
}
