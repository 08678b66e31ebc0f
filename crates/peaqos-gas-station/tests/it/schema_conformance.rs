//! What the OpenAPI document allows is what the server accepts, and what it forbids is refused
//! (the schemathesis campaign's findings, `.ci/fuzz.sh`, as regressions): empty addresses and
//! codes, `null` setup fields, a malformed code from a locked owner, the configured chains.

use crate::common::*;
use serde_json::{Value, json};

/// `^[0-9]{6}$`, as the document says.
fn code_ok(s: &str) -> bool {
    s.len() == 6 && s.bytes().all(|b| b.is_ascii_digit())
}

async fn document(env: &Env) -> Value {
    let (s, _, body) = env.get(&format!("{}/openapi.json", env.url())).await;
    assert_eq!(s, 200);
    serde_json::from_slice(&body).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_document_states_what_the_server_enforces() {
    let env = Env::start(Db::Sqlite).await;
    let doc = document(&env).await;
    let schemas = &doc["components"]["schemas"];
    let owner = &schemas["FundRequest"]["properties"]["ownerAddress"];
    assert_eq!(owner["format"], "peaq-owner-address", "{owner}");
    assert!(owner["pattern"].as_str().unwrap().starts_with("^(0[xX]"));
    for op in ["SetupRequest", "ConfirmRequest", "FundRequest"] {
        assert_eq!(
            schemas[op]["properties"]["ownerAddress"], *owner,
            "{op}: one owner schema"
        );
    }
    assert_eq!(
        schemas["FundRequest"]["properties"]["targetWalletAddress"]["format"],
        "evm-address"
    );
    // chainId: exactly the configured chain (31337 and its aliases)
    let chain = &schemas["FundRequest"]["properties"]["chainId"]["oneOf"];
    assert_eq!(
        chain[0]["enum"],
        json!(["devnet", "peaq-devnet", "31337"]),
        "{chain}"
    );
    assert_eq!(chain[1]["enum"], json!([31337]));
    // setup's optional fields may be null (serde reads null as absent)
    let setup = &schemas["SetupRequest"]["properties"];
    assert_eq!(setup["twoFactorCode"]["type"], json!(["string", "null"]));
    assert!(
        setup["format"]["enum"]
            .as_array()
            .unwrap()
            .contains(&Value::Null)
    );

    // ST202 (schema-valid refused) before: empty strings were allowed by the document
    for (path, body) in [
        ("/2fa/setup", json!({"ownerAddress": ""})),
        (
            "/2fa/confirm",
            json!({"ownerAddress": "", "twoFactorCode": "000000"}),
        ),
    ] {
        let r = env.post(path, body).await;
        assert_error(&r, 400, "INVALID_OWNER_ADDRESS");
    }
    let r = env
        .post(
            "/faucet/fund",
            json!({"ownerAddress": new_owner(), "targetWalletAddress": format!("{:#x}", random_address()),
                   "chainId": "", "twoFactorCode": "000000"}),
        )
        .await;
    assert_error(&r, 400, "INVALID_CHAIN_ID");
    for chain in ["devnet", "peaq-devnet", "31337"] {
        let r = env
            .post(
                "/faucet/fund",
                json!({"ownerAddress": new_owner(), "targetWalletAddress": format!("{:#x}", random_address()),
                       "chainId": chain, "twoFactorCode": "000000"}),
            )
            .await;
        assert_error(&r, 403, "2FA_NOT_CONFIGURED");
    }

    // null setup fields: accepted as absent (schema-valid now)
    let (s, v) = env
        .post(
            "/2fa/setup",
            json!({"ownerAddress": new_owner(), "format": null, "twoFactorCode": null}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert!(v["data"]["qrImageUrl"].as_str().unwrap().ends_with(".svg"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_malformed_code_is_invalid_2fa_before_any_state() {
    let env = Env::start(Db::Sqlite).await;
    let owner = new_owner();
    let uri = env.enrol(&owner).await;
    let target = random_address();
    // malformed codes never count towards the lockout
    for code in ["", "12345", "1234567", " 123456", "12345a", "１２３４５６"] {
        assert!(!code_ok(code));
        let r = env.fund(&owner, target, code, None).await;
        assert_error(&r, 401, "INVALID_2FA");
        assert!(
            r.1["message"].as_str().unwrap().contains("6 digits"),
            "{}",
            r.1
        );
    }
    let r = env.fund(&owner, target, &env.code(&uri), None).await;
    assert_eq!(r.0, 200, "still unlocked: {}", r.1);

    // lock the owner with five wrong (well-formed) codes
    env.clock.advance(30);
    let good = env.code(&uri);
    let wrong = if good == "000000" { "111111" } else { "000000" };
    let mut last = (0, Value::Null);
    for _ in 0..5 {
        last = env
            .post(
                "/2fa/confirm",
                json!({"ownerAddress": owner, "twoFactorCode": wrong}),
            )
            .await;
    }
    assert_error(&last, 423, "2FA_LOCKED");
    // ST201 (schema-invalid accepted) before: a locked owner's malformed request answered 423
    for path in ["/2fa/confirm", "/faucet/2fa/confirm"] {
        let r = env
            .post(path, json!({"ownerAddress": owner, "twoFactorCode": ""}))
            .await;
        assert_error(&r, 401, "INVALID_2FA");
    }
    let r = env
        .post(
            "/2fa/setup",
            json!({"ownerAddress": owner, "twoFactorCode": "abc"}),
        )
        .await;
    assert_error(&r, 401, "INVALID_2FA");
    // a well-formed request of a locked owner is still 423
    let r = env
        .post(
            "/2fa/confirm",
            json!({"ownerAddress": owner, "twoFactorCode": "123456"}),
        )
        .await;
    assert_error(&r, 423, "2FA_LOCKED");
}
