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

/// Builds the document.
pub(crate) fn document(cfg: &GasStationConfig) -> Value {
    let chains: Vec<Value> = cfg
        .chains
        .iter()
        .map(|c| json!({"chainId": c.chain_id, "aliases": c.aliases}))
        .collect();
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
                "ownerAddress": {"type": "string", "description": "0x hex (EIP-55 checksum verified when mixed case) or SS58"},
                "format": {"enum": ["svg", "png"], "default": "svg"},
                "twoFactorCode": {"type": "string", "description": "required when 2FA is already active"}
            }},
            "SetupResponse": {"type": "object", "properties": {"status": {"const": "success"}, "data": {"type": "object", "properties": {
                "ownerAddress": {"type": "string"}, "otpauthUri": {"type": "string"}, "qrImageUrl": {"type": "string"}}}}},
            "ConfirmRequest": {"type": "object", "additionalProperties": false, "required": ["ownerAddress", "twoFactorCode"], "properties": {
                "ownerAddress": {"type": "string"}, "twoFactorCode": {"type": "string", "pattern": "^[0-9]{6}$"}}},
            "ConfirmResponse": {"type": "object", "required": ["status", "code", "data"], "properties": {"status": {"const": "success"}, "code": {"const": CODE_2FA_ACTIVATED}, "data": {"type": "object", "properties": {
                "ownerAddress": {"type": "string"}, "twoFactorActive": {"type": "boolean"}}}}},
            "FundRequest": {"type": "object", "additionalProperties": false, "required": ["ownerAddress", "targetWalletAddress", "chainId", "twoFactorCode"], "properties": {
                "ownerAddress": {"type": "string"},
                "targetWalletAddress": {"type": "string", "pattern": "^0x[0-9a-fA-F]{40}$"},
                "chainId": {"oneOf": [{"type": "string", "description": "a configured chain's alias (peaq, agung, devnet, peaq-devnet by default) or decimal id (3338, 9990, 31337)"}, {"type": "integer"}]},
                "twoFactorCode": {"type": "string", "pattern": "^[0-9]{6}$"},
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
