//! The OpenAPI 3.1 document served at `/openapi.json`, including every error code and its HTTP
//! status (generated from [`crate::error::http_status`] so document and server agree).

use crate::config::GasStationConfig;
use crate::error::{COMPAT_CODES, FAUCET_CODES, describe, http_status};
use crate::service::{CODE_2FA_ACTIVATED, CODE_SUCCESS, CODE_SUFFICIENT_BALANCE};
use serde_json::{Value, json};

fn error_responses(codes: &[&str]) -> Value {
    let mut by_status: std::collections::BTreeMap<u16, Vec<&str>> = Default::default();
    for c in FAUCET_CODES.into_iter().chain(COMPAT_CODES) {
        if codes.contains(&c.as_str()) {
            by_status
                .entry(http_status(c).as_u16())
                .or_default()
                .push(c.as_str());
        }
    }
    let mut out = serde_json::Map::new();
    for (status, cs) in by_status {
        out.insert(
            status.to_string(),
            json!({
                "description": cs.join(", "),
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
            }),
        );
    }
    Value::Object(out)
}

fn merge(mut a: Value, b: Value) -> Value {
    if let (Some(a), Value::Object(b)) = (a.as_object_mut(), b) {
        a.extend(b);
    }
    a
}

/// `ownerAddress`: EVM hex or SS58 (base58 of a 1-2 byte prefix, 32-byte account, 2-byte checksum).
pub(crate) const OWNER_ADDRESS_PATTERN: &str =
    "^(0[xX][0-9a-fA-F]{40}|[1-9A-HJ-NP-Za-km-z]{46,50})$";
/// `targetWalletAddress`: EVM hex.
pub(crate) const EVM_ADDRESS_PATTERN: &str = "^0[xX][0-9a-fA-F]{40}$";

/// Builds the document.
pub(crate) fn document(cfg: &GasStationConfig) -> Value {
    let chains: Vec<Value> = cfg
        .chains
        .iter()
        .map(|c| json!({"chainId": c.chain_id, "aliases": c.aliases}))
        .collect();
    // `chainId` as the server accepts it: a configured chain's alias or decimal id (a string),
    // or its id as a number.
    let chain_names: Vec<String> = cfg
        .chains
        .iter()
        .flat_map(|c| c.aliases.iter().cloned().chain([c.chain_id.to_string()]))
        .collect();
    let chain_ids: Vec<u64> = cfg.chains.iter().map(|c| c.chain_id).collect();
    let owner_address = json!({"type": "string", "format": "peaq-owner-address", "pattern": OWNER_ADDRESS_PATTERN,
        "description": "0x + 40 hex digits (all lowercase, all uppercase, or EIP-55 checksummed mixed case) or an SS58 address (its blake2b checksum verified)"});
    let evm_address = json!({"type": "string", "format": "evm-address", "pattern": EVM_ADDRESS_PATTERN,
        "description": "0x + 40 hex digits (all lowercase, all uppercase, or EIP-55 checksummed mixed case)"});
    let totp_code = json!({"type": "string", "pattern": "^[0-9]{6}$", "description": "the current TOTP code (a malformed one is INVALID_2FA and does not count towards the lockout)"});
    let codes_table: Vec<Value> = FAUCET_CODES
        .iter()
        .chain(COMPAT_CODES.iter())
        .map(|c| json!({"code": c.as_str(), "httpStatus": http_status(*c).as_u16(), "description": describe(*c)}))
        .collect();
    let setup_codes = [
        "INVALID_OWNER_ADDRESS",
        "INVALID_PAYLOAD",
        "INVALID_2FA",
        "2FA_ALREADY_CONFIGURED",
        "2FA_LOCKED",
        "RATE_LIMITED",
        "QR_GENERATION_FAILED",
        "INTERNAL_ERROR",
    ];
    let confirm_codes = [
        "INVALID_OWNER_ADDRESS",
        "INVALID_PAYLOAD",
        "INVALID_2FA",
        "2FA_NOT_CONFIGURED",
        "2FA_LOCKED",
        "RATE_LIMITED",
        "INTERNAL_ERROR",
    ];
    let fund_codes: Vec<&str> = FAUCET_CODES
        .iter()
        .map(|c| c.as_str())
        .filter(|c| !c.starts_with("QR_"))
        .collect();
    let qr_codes = ["QR_NOT_FOUND", "QR_EXPIRED", "INTERNAL_ERROR"];
    let ok = |schema: &str| json!({"200": {"description": "success", "content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/{schema}")}}}}});
    let setup_op = json!({
        "summary": "Enrol an owner in 2FA (TOTP, SHA-1, 6 digits, 30 s)",
        "description": "Before confirmation, every call replaces the pending secret. Once 2FA is active the call needs twoFactorCode (a current code); the new secret stays pending until confirmed and the old one keeps working.",
        "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/SetupRequest"}}}},
        "responses": merge(ok("SetupResponse"), error_responses(&setup_codes))
    });
    let confirm_op = json!({
        "summary": "Activate 2FA with a code of the pending secret",
        "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ConfirmRequest"}}}},
        "responses": merge(ok("ConfirmResponse"), error_responses(&confirm_codes))
    });
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "peaqOS Gas Station",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "2FA-gated faucet funding fresh machine wallets. Every error answers {status:'error', code, message[, data]}.",
            "x-chains": chains,
            "x-error-codes": codes_table
        },
        "paths": {
            "/2fa/setup": {"post": setup_op.clone()},
            "/faucet/2fa/setup": {"post": setup_op},
            "/2fa/confirm": {"post": confirm_op.clone()},
            "/faucet/2fa/confirm": {"post": confirm_op},
            "/faucet/fund": {"post": {
                "summary": "Fund a machine wallet (idempotent by requestId)",
                "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/FundRequest"}}}},
                "responses": merge(ok("FundResponse"), error_responses(&fund_codes))
            }},
            "/2fa/qr/{file}": {"get": {
                "summary": "The QR image of a setup (file = token.svg or token.png), served ~2 minutes",
                "parameters": [{"name": "file", "in": "path", "required": true, "schema": {"type": "string"}}],
                "responses": merge(
                    json!({"200": {"description": "the image", "content": {"image/svg+xml": {}, "image/png": {}}}}),
                    error_responses(&qr_codes))
            }},
            "/health": {"get": {"summary": "Liveness and configured chains", "responses": {"200": {"description": "ok"}}}},
            "/openapi.json": {"get": {"summary": "This document", "responses": {"200": {"description": "ok"}}}}
        },
        "components": {"schemas": {
            "Error": {"type": "object", "required": ["status", "code", "message"], "properties": {
                "status": {"const": "error"},
                "code": {"type": "string", "enum": FAUCET_CODES.iter().chain(COMPAT_CODES.iter()).map(|c| c.as_str()).collect::<Vec<_>>()},
                "message": {"type": "string"},
                "data": {"type": "object", "description": "REQUEST_ALREADY_PROCESSED: the original result (its status plus its data); DUPLICATE_REQUEST: {requestId}"}
            }},
            "SetupRequest": {"type": "object", "additionalProperties": false, "required": ["ownerAddress"], "properties": {
                "ownerAddress": owner_address,
                "format": {"enum": ["svg", "png", null], "default": "svg", "description": "null: the default"},
                "twoFactorCode": {"type": ["string", "null"], "pattern": "^[0-9]{6}$", "description": "required when 2FA is already active; null: absent"}
            }},
            "SetupResponse": {"type": "object", "properties": {"status": {"const": "success"}, "data": {"type": "object", "properties": {
                "ownerAddress": {"type": "string"}, "otpauthUri": {"type": "string"}, "qrImageUrl": {"type": "string"}}}}},
            "ConfirmRequest": {"type": "object", "additionalProperties": false, "required": ["ownerAddress", "twoFactorCode"], "properties": {
                "ownerAddress": owner_address, "twoFactorCode": totp_code}},
            "ConfirmResponse": {"type": "object", "required": ["status", "code", "data"], "properties": {"status": {"const": "success"}, "code": {"const": CODE_2FA_ACTIVATED}, "data": {"type": "object", "properties": {
                "ownerAddress": {"type": "string"}, "twoFactorActive": {"type": "boolean"}}}}},
            "FundRequest": {"type": "object", "additionalProperties": false, "required": ["ownerAddress", "targetWalletAddress", "chainId", "twoFactorCode"], "properties": {
                "ownerAddress": owner_address,
                "targetWalletAddress": evm_address,
                "chainId": {"oneOf": [{"type": "string", "enum": chain_names, "description": "a configured chain's alias or decimal id"}, {"type": "integer", "enum": chain_ids}]},
                "twoFactorCode": totp_code,
                "requestId": {"type": "string", "format": "uuid"}
            }},
            "FundResponse": {"oneOf": [
                {"type": "object", "required": ["status", "code", "data"], "properties": {"status": {"const": "success"}, "code": {"const": CODE_SUCCESS}, "data": {"type": "object", "properties": {
                    "requestId": {"type": "string"}, "txHash": {"type": "string"}, "fundedAmount": {"type": "string", "description": "decimal wei"}}}}},
                {"type": "object", "required": ["status", "code", "data"], "properties": {"status": {"const": "skipped"}, "code": {"const": CODE_SUFFICIENT_BALANCE}, "data": {"type": "object", "properties": {
                    "requestId": {"type": "string"}, "currentBalance": {"type": "string", "description": "decimal wei"}, "minGasBalance": {"type": "string", "description": "decimal wei"}}}}}
            ]}
        }}
    })
}
