//! End-to-end behaviour of the Gas Station over HTTP against the embedded devnet, on SQLite and
//! on PostgreSQL.

use crate::common::*;
use alloy::primitives::U256;
use alloy::providers::Provider;
use peaqos_gas_station::error::{COMPAT_CODES, FAUCET_CODES, http_status};
use serde_json::json;

async fn enrol_fund_skip_and_replay(db: Db) {
    let env = Env::start(db).await;
    let owner = new_owner();
    let uri = env.enrol(&owner).await;
    let target = random_address();
    let id = uuid::Uuid::new_v4().to_string();
    let code = env.code(&uri);
    let r = env.fund(&owner, target, &code, Some(&id)).await;
    assert_eq!(r.0, 200, "{}", r.1);
    assert_eq!(r.1["status"], "success");
    assert_eq!(r.1["code"], "SUCCESS");
    assert_eq!(r.1["data"]["requestId"], id);
    assert_eq!(r.1["data"]["fundedAmount"], peaq(2).to_string());
    let tx_hash = r.1["data"]["txHash"].as_str().unwrap().to_owned();
    let receipt = env
        .provider()
        .get_transaction_receipt(tx_hash.parse().unwrap())
        .await
        .unwrap()
        .expect("mined");
    assert!(receipt.status());
    assert_eq!(receipt.from, env.hot.address());
    assert_eq!(env.balance(target).await, peaq(2));

    // The same requestId again (new code): the original result, nothing sent.
    env.clock.advance(30);
    let r2 = env.fund(&owner, target, &env.code(&uri), Some(&id)).await;
    assert_error(&r2, 409, "REQUEST_ALREADY_PROCESSED");
    assert_eq!(r2.1["data"]["txHash"], tx_hash.as_str());
    assert_eq!(r2.1["data"]["status"], "success");
    assert_eq!(env.balance(target).await, peaq(2));

    // A new request for the funded target: skipped (2 PEAQ >= 1.5 PEAQ); generated requestId.
    let r3 = env.fund(&owner, target, &env.code(&uri), None).await;
    assert_eq!(r3.0, 200, "{}", r3.1);
    assert_eq!(r3.1["status"], "skipped");
    assert_eq!(r3.1["code"], "SUFFICIENT_BALANCE");
    assert_eq!(r3.1["data"]["currentBalance"], peaq(2).to_string());
    assert_eq!(
        r3.1["data"]["minGasBalance"],
        (peaq(3) / U256::from(2)).to_string()
    );
    let skipped_id = r3.1["data"]["requestId"].as_str().unwrap().to_owned();
    assert!(uuid::Uuid::parse_str(&skipped_id).is_ok());
    env.clock.advance(30);
    let r4 = env
        .fund(&owner, target, &env.code(&uri), Some(&skipped_id))
        .await;
    assert_error(&r4, 409, "REQUEST_ALREADY_PROCESSED");
    assert_eq!(r4.1["data"]["status"], "skipped");
    assert_eq!(env.nonce(env.hot.address()).await, 1);

    // Numeric chain id works too; lowercase owner is the same owner.
    env.clock.advance(30);
    let target2 = random_address();
    let r5 = env
        .post(
            "/faucet/fund",
            json!({"ownerAddress": owner.to_lowercase(), "targetWalletAddress": format!("{target2:#x}"),
                   "chainId": 31337, "twoFactorCode": env.code(&uri)}),
        )
        .await;
    assert_eq!(r5.0, 200, "{}", r5.1);
    assert_eq!(env.balance(target2).await, peaq(2));
    let journal = env.gs().service().journal(31337).await.unwrap();
    assert_eq!(
        journal.iter().map(|j| j.nonce).collect::<Vec<_>>(),
        vec![0, 1]
    );
    assert!(journal.iter().all(|j| j.status == "confirmed"));
}
both_dbs!(enrol_fund_skip_and_replay_, enrol_fund_skip_and_replay);

async fn two_factor_states(db: Db) {
    let env = Env::start(db).await;
    let owner = new_owner();
    let target = random_address();
    assert_error(
        &env.fund(&owner, target, "123456", None).await,
        403,
        "2FA_NOT_CONFIGURED",
    );
    assert_error(
        &env.post(
            "/2fa/confirm",
            json!({"ownerAddress": owner, "twoFactorCode": "123456"}),
        )
        .await,
        403,
        "2FA_NOT_CONFIGURED",
    );
    let (s, v) = env
        .post("/faucet/2fa/setup", json!({"ownerAddress": owner}))
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["data"]["ownerAddress"], owner.as_str());
    let first = v["data"]["otpauthUri"].as_str().unwrap().to_owned();
    assert!(first.starts_with("otpauth://totp/"));
    assert!(first.contains("algorithm=SHA1&digits=6&period=30"));
    assert!(v["data"]["qrImageUrl"].as_str().unwrap().ends_with(".svg"));
    assert_error(
        &env.fund(&owner, target, &env.code(&first), None).await,
        403,
        "2FA_NOT_ACTIVE",
    );

    // Setup again before confirmation: the pending secret is replaced.
    let (_, v) = env.post("/2fa/setup", json!({"ownerAddress": owner})).await;
    let second = v["data"]["otpauthUri"].as_str().unwrap().to_owned();
    assert_ne!(first, second);
    env.clock.advance(30);
    let old_code = env.code(&first);
    if old_code != env.code(&second) {
        assert_error(
            &env.post(
                "/2fa/confirm",
                json!({"ownerAddress": owner, "twoFactorCode": old_code}),
            )
            .await,
            401,
            "INVALID_2FA",
        );
    }
    let (s, v) = env
        .post(
            "/2fa/confirm",
            json!({"ownerAddress": owner, "twoFactorCode": env.code(&second)}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["code"], "2FA_ACTIVATED");
    assert_eq!(v["data"]["twoFactorActive"], true);

    // Active: setup without the current code is refused with 2FA_ALREADY_CONFIGURED (peaq's CLI
    // then skips enrolment); with it, a new pending secret that does not replace the active one
    // until confirmed.
    assert_error(
        &env.post("/2fa/setup", json!({"ownerAddress": owner})).await,
        409,
        "2FA_ALREADY_CONFIGURED",
    );
    env.clock.advance(30);
    let (s, v) = env
        .post(
            "/2fa/setup",
            json!({"ownerAddress": owner, "twoFactorCode": env.code(&second)}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let third = v["data"]["otpauthUri"].as_str().unwrap().to_owned();
    env.clock.advance(30);
    let r = env.fund(&owner, target, &env.code(&second), None).await;
    assert_eq!(
        r.0, 200,
        "old secret still active until the new one is confirmed: {}",
        r.1
    );
    let (s, _) = env
        .post(
            "/2fa/confirm",
            json!({"ownerAddress": owner, "twoFactorCode": env.code(&third)}),
        )
        .await;
    assert_eq!(s, 200);
    env.clock.advance(30);
    if env.code(&second) != env.code(&third) {
        assert_error(
            &env.fund(&owner, random_address(), &env.code(&second), None)
                .await,
            401,
            "INVALID_2FA",
        );
    }
    env.clock.advance(30);
    let r = env
        .fund(&owner, random_address(), &env.code(&third), None)
        .await;
    assert_eq!(r.0, 200, "{}", r.1);
}
both_dbs!(two_factor_states_, two_factor_states);

async fn replay_and_lockout(db: Db) {
    let env = Env::start(db).await;
    let owner = new_owner();
    let uri = env.enrol(&owner).await;
    env.clock.advance(30);
    let code = env.code(&uri);
    assert_eq!(env.fund(&owner, random_address(), &code, None).await.0, 200);
    // Same code, same step, new request: replay refused (1st invalid attempt).
    let r = env.fund(&owner, random_address(), &code, None).await;
    assert_error(&r, 401, "INVALID_2FA");
    assert!(r.1["message"].as_str().unwrap().contains("already used"));
    // The previous step's code is in the skew window but older than the last used step.
    let prev = peaqos_gas_station::current_code_for(&uri, env.clock.now_secs() - 30).unwrap();
    if prev != code {
        assert_error(
            &env.fund(&owner, random_address(), &prev, None).await,
            401,
            "INVALID_2FA",
        );
    } else {
        assert_error(
            &env.fund(&owner, random_address(), "000000", None).await,
            401,
            "INVALID_2FA",
        );
    }
    let wrong = if code == "999999" { "999998" } else { "999999" };
    for _ in 0..2 {
        assert_error(
            &env.fund(&owner, random_address(), wrong, None).await,
            401,
            "INVALID_2FA",
        );
    }
    // 5th consecutive invalid code locks the owner.
    assert_error(
        &env.fund(&owner, random_address(), wrong, None).await,
        423,
        "2FA_LOCKED",
    );
    env.clock.advance(30);
    let good = env.code(&uri);
    assert_error(
        &env.fund(&owner, random_address(), &good, None).await,
        423,
        "2FA_LOCKED",
    );
    assert_error(
        &env.post(
            "/2fa/confirm",
            json!({"ownerAddress": owner, "twoFactorCode": good}),
        )
        .await,
        423,
        "2FA_LOCKED",
    );
    // After the lockout window (900 s) the owner is usable again.
    env.clock.advance(900);
    let r = env
        .fund(&owner, random_address(), &env.code(&uri), None)
        .await;
    assert_eq!(r.0, 200, "{}", r.1);
    // A valid code resets the counter: four invalid codes do not lock.
    for _ in 0..4 {
        assert_error(
            &env.fund(&owner, random_address(), wrong, None).await,
            401,
            "INVALID_2FA",
        );
    }
    env.clock.advance(30);
    assert_eq!(
        env.fund(&owner, random_address(), &env.code(&uri), None)
            .await
            .0,
        200
    );
    // Skew: the next step's code is accepted now (+1), but then the current one is a replay.
    let next = peaqos_gas_station::current_code_for(&uri, env.clock.now_secs() + 30).unwrap();
    assert_eq!(env.fund(&owner, random_address(), &next, None).await.0, 200);
    // Two steps ahead is outside the window.
    let far = peaqos_gas_station::current_code_for(&uri, env.clock.now_secs() + 90).unwrap();
    let window: Vec<String> = [-30i64, 0, 30]
        .iter()
        .map(|d| {
            peaqos_gas_station::current_code_for(&uri, (env.clock.now_secs() as i64 + d) as u64)
                .unwrap()
        })
        .collect();
    if !window.contains(&far) {
        assert_error(
            &env.fund(&owner, random_address(), &far, None).await,
            401,
            "INVALID_2FA",
        );
    }
}
both_dbs!(replay_and_lockout_, replay_and_lockout);

/// peaq's CLI confirms with a code and funds with the same code in the same time step: the
/// activating code may be spent once more by the active secret, and only once.
async fn the_confirming_code_funds_once(db: Db) {
    let env = Env::start(db).await;
    let owner = new_owner();
    let (s, v) = env.post("/2fa/setup", json!({"ownerAddress": owner})).await;
    assert_eq!(s, 200, "{v}");
    let uri = v["data"]["otpauthUri"].as_str().unwrap().to_owned();
    let code = env.code(&uri);
    let (s, v) = env
        .post(
            "/2fa/confirm",
            json!({"ownerAddress": owner, "twoFactorCode": code}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let r = env.fund(&owner, random_address(), &code, None).await;
    assert_eq!(r.0, 200, "the confirming code funds: {}", r.1);
    assert_eq!(r.1["code"], "SUCCESS");
    let r = env.fund(&owner, random_address(), &code, None).await;
    assert_error(&r, 401, "INVALID_2FA");
    assert!(r.1["message"].as_str().unwrap().contains("already used"));
}
both_dbs!(
    the_confirming_code_funds_once_,
    the_confirming_code_funds_once
);

async fn qr_images(db: Db) {
    let env = Env::start(db).await;
    let owner = new_owner();
    let (_, v) = env
        .post(
            "/2fa/setup",
            json!({"ownerAddress": owner, "format": "png"}),
        )
        .await;
    let png_url = v["data"]["qrImageUrl"].as_str().unwrap().to_owned();
    assert!(
        png_url.starts_with(&env.url()) && png_url.ends_with(".png"),
        "{png_url}"
    );
    let (s, ct, body) = env.get(&png_url).await;
    assert_eq!(s, 200);
    assert_eq!(ct.as_deref(), Some("image/png"));
    assert_eq!(&body[..8], b"\x89PNG\r\n\x1a\n");
    // Same token under the /faucet prefix, wrong extension -> not found.
    let faucet_url = png_url.replace("/2fa/qr/", "/faucet/2fa/qr/");
    assert_eq!(env.get(&faucet_url).await.0, 200);
    let (s, _, body) = env.get(&png_url.replace(".png", ".svg")).await;
    assert_eq!(s, 404);
    let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v["code"], "QR_NOT_FOUND");
    let (s, _, body) = env
        .get(&format!("{}/2fa/qr/{}.svg", env.url(), "ab".repeat(16)))
        .await;
    assert_eq!(s, 404);
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&body).unwrap()["code"],
        "QR_NOT_FOUND"
    );
    assert_eq!(
        env.get(&format!("{}/2fa/qr/..%2Fetc.svg", env.url()))
            .await
            .0,
        404
    );

    // Re-setup (svg) invalidates the old token; the new one expires after 120 s.
    env.clock.advance(10);
    let (_, v) = env
        .post(
            "/2fa/setup",
            json!({"ownerAddress": owner, "format": "svg"}),
        )
        .await;
    let svg_url = v["data"]["qrImageUrl"].as_str().unwrap().to_owned();
    assert_eq!(env.get(&png_url).await.0, 404);
    let (s, ct, body) = env.get(&svg_url).await;
    assert_eq!(s, 200);
    assert_eq!(ct.as_deref(), Some("image/svg+xml"));
    assert!(String::from_utf8(body).unwrap().contains("<svg"));
    env.clock.advance(119);
    assert_eq!(env.get(&svg_url).await.0, 200);
    env.clock.advance(1);
    let (s, _, body) = env.get(&svg_url).await;
    assert_eq!(s, 410);
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&body).unwrap()["code"],
        "QR_EXPIRED"
    );
}
both_dbs!(qr_images_, qr_images);

async fn validation_errors(db: Db) {
    let env = Env::start(db).await;
    let owner = new_owner();
    let uri = env.enrol(&owner).await;
    let target = random_address().to_checksum(None);
    let good = json!({"ownerAddress": owner, "targetWalletAddress": target, "chainId": "devnet", "twoFactorCode": "123456"});
    let with = |k: &str, v: serde_json::Value| {
        let mut b = good.clone();
        b[k] = v;
        b
    };
    for body in [
        with("extra", json!(1)),
        with("chainId", json!(true)),
        with("twoFactorCode", json!(123456)),
        with("requestId", json!(5)),
        json!({"ownerAddress": owner}),
        json!([1, 2]),
    ] {
        assert_error(
            &env.post("/faucet/fund", body).await,
            400,
            "INVALID_PAYLOAD",
        );
    }
    assert_error(
        &env.post_raw("/faucet/fund", "{not json", Some("application/json"))
            .await,
        400,
        "INVALID_PAYLOAD",
    );
    assert_error(
        &env.post_raw("/faucet/fund", &good.to_string(), None).await,
        400,
        "INVALID_PAYLOAD",
    );
    assert_error(
        &env.post(
            "/2fa/setup",
            json!({"ownerAddress": owner, "format": "gif"}),
        )
        .await,
        400,
        "INVALID_PAYLOAD",
    );
    assert_error(
        &env.post("/2fa/setup", json!({"owner": owner})).await,
        400,
        "INVALID_PAYLOAD",
    );
    assert_error(
        &env.post(
            "/2fa/confirm",
            json!({"ownerAddress": owner, "twoFactorCode": "1", "x": 1}),
        )
        .await,
        400,
        "INVALID_PAYLOAD",
    );

    let bad_checksum = {
        let lower = owner.to_lowercase();
        let mut flipped: String = owner.clone();
        // Flip the case of the first letter after 0x that has one.
        if let Some(i) = flipped[2..].find(|c: char| c.is_ascii_alphabetic()) {
            let c = flipped.as_bytes()[i + 2] as char;
            let f = if c.is_ascii_uppercase() {
                c.to_ascii_lowercase()
            } else {
                c.to_ascii_uppercase()
            };
            flipped.replace_range(i + 2..i + 3, &f.to_string());
        }
        if flipped == lower || flipped == owner {
            "0x12".to_owned()
        } else {
            flipped
        }
    };
    for bad in [
        bad_checksum.as_str(),
        "0x1234",
        "hello",
        "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQZ",
    ] {
        assert_error(
            &env.post("/2fa/setup", json!({"ownerAddress": bad})).await,
            400,
            "INVALID_OWNER_ADDRESS",
        );
        assert_error(
            &env.post("/faucet/fund", with("ownerAddress", json!(bad)))
                .await,
            400,
            "INVALID_OWNER_ADDRESS",
        );
    }
    assert_error(
        &env.post(
            "/2fa/confirm",
            json!({"ownerAddress": "0x12", "twoFactorCode": "123456"}),
        )
        .await,
        400,
        "INVALID_OWNER_ADDRESS",
    );
    for bad in [
        "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY",
        "0xabc",
        "",
    ] {
        assert_error(
            &env.post("/faucet/fund", with("targetWalletAddress", json!(bad)))
                .await,
            400,
            "INVALID_TARGET_ADDRESS",
        );
    }
    for bad in [
        json!("agung"),
        json!(9990),
        json!("3338"),
        json!("base"),
        json!(""),
    ] {
        assert_error(
            &env.post("/faucet/fund", with("chainId", bad)).await,
            400,
            "INVALID_CHAIN_ID",
        );
    }
    for bad in [
        "",
        "123",
        "not-a-uuid",
        "zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz",
    ] {
        assert_error(
            &env.post("/faucet/fund", with("requestId", json!(bad)))
                .await,
            400,
            "INVALID_REQUEST_ID",
        );
    }
    // None of those consumed the owner's 2FA: a valid code still works.
    let r = env
        .fund(&owner, random_address(), &env.code(&uri), None)
        .await;
    assert_eq!(r.0, 200, "{}", r.1);

    // SS58 owners enrol and fund; the same account under another prefix is the same owner.
    let alice = "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY";
    let uri = env.enrol(alice).await;
    env.clock.advance(30);
    let r = env
        .fund(alice, random_address(), &env.code(&uri), None)
        .await;
    assert_eq!(r.0, 200, "{}", r.1);
    let (_, account) = peaqos_gas_station::address::parse_ss58(alice).unwrap();
    let other_prefix = peaqos_gas_station::address::encode_ss58(0, &account);
    let r = env
        .fund(&other_prefix, random_address(), &env.code(&uri), None)
        .await;
    assert_error(&r, 401, "INVALID_2FA"); // same owner, same step: replay
}
both_dbs!(validation_errors_, validation_errors);

/// `chainId` names and decimal ids (strings, and JSON numbers) of every configured chain; anything
/// else is INVALID_CHAIN_ID. Mainnet and agung are configured against the devnet's RPC: a rich
/// target is answered `skipped` from its balance, so no transfer is signed for them.
#[tokio::test]
async fn chain_id_names_and_numbers() {
    let mut env = Env::start(Db::Sqlite).await;
    let url = env.devnet.url();
    let hot = env.hot.clone();
    env.restart(move |c| {
        for id in [3338, 9990] {
            c.chains.push(peaqos_gas_station::ChainSettings::new(
                id,
                url.clone(),
                hot.clone(),
            ));
        }
    })
    .await;
    let owner = new_owner();
    let uri = env.enrol(&owner).await;
    let rich = env.devnet.address(0).to_checksum(None);
    for (chain_id, id) in [
        (json!("peaq"), 3338),
        (json!("PEAQ"), 3338),
        (json!("3338"), 3338),
        (json!("agung"), 9990),
        (json!("9990"), 9990),
        (json!("devnet"), 31337),
        (json!("peaq-devnet"), 31337),
        (json!("31337"), 31337),
        (json!(" 31337 "), 31337),
        (json!(3338), 3338),
    ] {
        env.clock.advance(30);
        let r = env
            .post(
                "/faucet/fund",
                json!({"ownerAddress": owner, "targetWalletAddress": rich, "chainId": chain_id,
                       "twoFactorCode": env.code(&uri)}),
            )
            .await;
        assert_eq!(r.0, 200, "{chain_id}: {}", r.1);
        assert_eq!(r.1["status"], "skipped", "{chain_id}: {}", r.1);
        assert_eq!(r.1["code"], "SUFFICIENT_BALANCE");
        let rid = r.1["data"]["requestId"].as_str().unwrap();
        let row: (i64,) = sqlx::query_as("SELECT chain_id FROM gs_requests WHERE request_id = $1")
            .bind(rid)
            .fetch_one(env.gs().service().store().pool())
            .await
            .unwrap();
        assert_eq!(row.0, id, "{chain_id} resolves to {id}");
    }
    for bad in [
        json!("base"),
        json!("8453"),
        json!("mainnet"),
        json!("0x7a69"),
        json!("+3338"),
        json!("3338.0"),
        json!("-1"),
        json!(""),
        json!(1),
    ] {
        let r = env
            .post(
                "/faucet/fund",
                json!({"ownerAddress": owner, "targetWalletAddress": rich, "chainId": bad,
                       "twoFactorCode": env.code(&uri)}),
            )
            .await;
        assert_error(&r, 400, "INVALID_CHAIN_ID");
        assert!(
            r.1["message"]
                .as_str()
                .unwrap()
                .ends_with("configured: 31337 (devnet, peaq-devnet); 3338 (peaq); 9990 (agung)"),
            "{}",
            r.1
        );
    }
}

async fn rate_limit_across_window(db: Db) {
    let limits = FundingLimitsExt::with(|l| {
        l.rate_limit_requests = 2;
        l.rate_window_secs = 300;
    });
    let env = Env::start_with(db, limits).await;
    let owner = new_owner();
    let uri = env.enrol(&owner).await;
    let first = env.clock.now_secs();
    assert_eq!(
        env.fund(&owner, random_address(), &env.code(&uri), None)
            .await
            .0,
        200
    );
    env.clock.advance(30);
    assert_eq!(
        env.fund(&owner, random_address(), &env.code(&uri), None)
            .await
            .0,
        200
    );
    env.clock.advance(30);
    assert_error(
        &env.fund(&owner, random_address(), &env.code(&uri), None)
            .await,
        429,
        "RATE_LIMITED",
    );
    // Another owner is not affected.
    let other = new_owner();
    let uri2 = env.enrol(&other).await;
    assert_eq!(
        env.fund(&other, random_address(), &env.code(&uri2), None)
            .await
            .0,
        200
    );
    // Once the first request leaves the 300 s window, exactly one more is allowed.
    env.clock.set(first + 300);
    assert_eq!(
        env.fund(&owner, random_address(), &env.code(&uri), None)
            .await
            .0,
        200
    );
    let next_step = peaqos_gas_station::current_code_for(&uri, env.clock.now_secs() + 30).unwrap();
    assert_error(
        &env.fund(&owner, random_address(), &next_step, None).await,
        429,
        "RATE_LIMITED",
    );
}
both_dbs!(rate_limit_across_window_, rate_limit_across_window);

async fn daily_caps_across_utc_midnight(db: Db) {
    let limits = FundingLimitsExt::with(|l| {
        l.min_gas_balance = peaq(100); // never skip: caps decide
        l.owner_daily_cap = peaq(6);
        l.wallet_daily_cap = peaq(4);
    });
    let env = Env::start_with(db, limits).await;
    let midnight = (T0 / 86_400 + 1) * 86_400;
    env.clock.set(midnight - 600);
    let owner = new_owner();
    let uri = env.enrol(&owner).await;
    let t1 = random_address();
    let t2 = random_address();
    let step = |env: &Env| env.clock.advance(30);
    step(&env);
    assert_eq!(env.fund(&owner, t1, &env.code(&uri), None).await.0, 200);
    step(&env);
    assert_eq!(env.fund(&owner, t1, &env.code(&uri), None).await.0, 200);
    step(&env);
    assert_error(
        &env.fund(&owner, t1, &env.code(&uri), None).await,
        429,
        "CAP_EXCEEDED_WALLET",
    );
    step(&env);
    assert_eq!(env.fund(&owner, t2, &env.code(&uri), None).await.0, 200);
    step(&env);
    assert_error(
        &env.fund(&owner, random_address(), &env.code(&uri), None)
            .await,
        429,
        "CAP_EXCEEDED_OWNER",
    );
    // The target's cap holds across owners too.
    let other = new_owner();
    let uri2 = env.enrol(&other).await;
    step(&env);
    assert_error(
        &env.fund(&other, t1, &env.code(&uri2), None).await,
        429,
        "CAP_EXCEEDED_WALLET",
    );
    // One second before midnight: still capped.
    env.clock.set(midnight - 1);
    assert_error(
        &env.fund(&owner, random_address(), &env.code(&uri), None)
            .await,
        429,
        "CAP_EXCEEDED_OWNER",
    );
    // New UTC day: both caps reset.
    env.clock.set(midnight + 31);
    assert_eq!(env.fund(&owner, t1, &env.code(&uri), None).await.0, 200);
    assert_eq!(env.fund(&other, t1, &env.code(&uri2), None).await.0, 200);
    step(&env);
    assert_error(
        &env.fund(&owner, t1, &env.code(&uri), None).await,
        429,
        "CAP_EXCEEDED_WALLET",
    );
    assert_eq!(env.balance(t1).await, peaq(8));
    assert_eq!(env.balance(t2).await, peaq(2));
}
both_dbs!(
    daily_caps_across_utc_midnight_,
    daily_caps_across_utc_midnight
);

/// A recorded amount that is not decimal wei makes a daily cap uncomputable: the funding is
/// refused (INTERNAL_ERROR), nothing is sent, and the code is not used up.
async fn uncomputable_caps_refuse_funding(db: Db) {
    let env = Env::start(db).await;
    let owner = new_owner();
    let uri = env.enrol(&owner).await;
    let owner_key = owner.to_lowercase();
    let target = random_address();
    let target_key = format!("{target:#x}");
    let day = (env.clock.now_secs() / 86_400) as i64;
    let pool = env.gs().service().store().pool().clone();
    let corrupt = |id: &str, owner: &str, target: &str, amount: &str| {
        let (pool, id, owner, target, amount) = (
            pool.clone(),
            id.to_owned(),
            owner.to_owned(),
            target.to_owned(),
            amount.to_owned(),
        );
        async move {
            sqlx::query(
                "INSERT INTO gs_requests (request_id, owner, target, chain_id, status, amount, day, \
                 created_at, replica, result, updated_at) \
                 VALUES ($1, $2, $3, 31337, 'success', $4, $5, 0, 'other', NULL, 0)",
            )
            .bind(id)
            .bind(owner)
            .bind(target)
            .bind(amount)
            .bind(day)
            .execute(&pool)
            .await
            .unwrap();
        }
    };
    // The owner's cap: another of its fundings today has an unreadable amount.
    corrupt(
        "00000000-0000-4000-8000-000000000001",
        &owner_key,
        &format!("{:#x}", random_address()),
        "two PEAQ",
    )
    .await;
    let code = env.code(&uri);
    let r = env.fund(&owner, target, &code, None).await;
    assert_error(&r, 500, "INTERNAL_ERROR");
    assert!(
        r.1["message"].as_str().unwrap().contains("owner daily cap"),
        "{}",
        r.1
    );
    assert_eq!(env.balance(target).await, U256::ZERO);
    assert_eq!(env.nonce(env.hot.address()).await, 0);

    // The wallet's cap: someone else's funding of this target has an amount beyond U256.
    let other = new_owner();
    let uri2 = env.enrol(&other).await;
    corrupt(
        "00000000-0000-4000-8000-000000000002",
        &format!("{:#x}", random_address()),
        &target_key,
        &"9".repeat(90),
    )
    .await;
    let r = env.fund(&other, target, &env.code(&uri2), None).await;
    assert_error(&r, 500, "INTERNAL_ERROR");
    assert!(
        r.1["message"]
            .as_str()
            .unwrap()
            .contains("wallet daily cap"),
        "{}",
        r.1
    );
    assert_eq!(env.balance(target).await, U256::ZERO);
    assert_eq!(env.nonce(env.hot.address()).await, 0);
    assert!(env.gs().service().journal(31337).await.unwrap().is_empty());

    // The refused attempt did not use up the owner's code: once the row is readable again,
    // the same code funds.
    sqlx::query("UPDATE gs_requests SET amount = '0' WHERE replica = 'other'")
        .execute(&pool)
        .await
        .unwrap();
    let r = env.fund(&owner, target, &code, None).await;
    assert_eq!(r.0, 200, "{}", r.1);
    assert_eq!(env.balance(target).await, peaq(2));
}
both_dbs!(
    uncomputable_caps_refuse_funding_,
    uncomputable_caps_refuse_funding
);

async fn upstream_failures(db: Db) {
    let mut env = Env::start(db).await;
    // A hot wallet without funds: the node refuses the transfer, the nonce is not consumed and
    // the requestId can be retried.
    let poor = alloy::signers::local::PrivateKeySigner::random();
    env.hot = poor.clone();
    env.restart(|_| {}).await;
    let owner = new_owner();
    let uri = env.enrol(&owner).await;
    let target = random_address();
    let id = uuid::Uuid::new_v4().to_string();
    let r = env.fund(&owner, target, &env.code(&uri), Some(&id)).await;
    assert_error(&r, 502, "TRANSFER_FAILED");
    assert!(env.gs().service().journal(31337).await.unwrap().is_empty());
    env.provider()
        .raw_request::<_, serde_json::Value>("anvil_setBalance".into(), (poor.address(), peaq(100)))
        .await
        .unwrap();
    env.clock.advance(30);
    let r = env.fund(&owner, target, &env.code(&uri), Some(&id)).await;
    assert_eq!(r.0, 200, "{}", r.1);
    assert_eq!(env.nonce(poor.address()).await, 1);

    // A configured chain whose RPC is down: CHAIN_RPC_ERROR, and the claim is released.
    let dead = peaqos_gas_station::ChainSettings::new(9990, "http://127.0.0.1:9", poor.clone());
    env.restart(move |c| c.chains.push(dead)).await;
    env.clock.advance(30);
    let id = uuid::Uuid::new_v4().to_string();
    let body = |code: String| json!({"ownerAddress": owner, "targetWalletAddress": format!("{target:#x}"), "chainId": "agung", "twoFactorCode": code, "requestId": id});
    assert_error(
        &env.post("/faucet/fund", body(env.code(&uri))).await,
        502,
        "CHAIN_RPC_ERROR",
    );
    env.clock.advance(30);
    assert_error(
        &env.post("/faucet/fund", body(env.code(&uri))).await,
        502,
        "CHAIN_RPC_ERROR",
    );
}
both_dbs!(upstream_failures_, upstream_failures);

/// The per-client-IP limit on the POST endpoints (configurable, off by default in the library):
/// a burst, then `RATE_LIMITED` envelopes on every POST until the allowance refills with the
/// service clock; GET endpoints are not counted.
#[tokio::test]
async fn per_ip_rate_limit_on_posts() {
    let mut env = Env::start(Db::Sqlite).await;
    // Off (the harness default): many POSTs from one address pass.
    for _ in 0..20 {
        let r = env
            .post("/2fa/setup", json!({"ownerAddress": "0x12"}))
            .await;
        assert_error(&r, 400, "INVALID_OWNER_ADDRESS");
    }
    env.restart(|c| c.ip_rate_limit = peaqos_gas_station::IpRateLimit::new(3, 60))
        .await;
    // Three POSTs at one instant: setup, confirm and a funding (the next step's code, inside
    // the skew window) all pass.
    let owner = new_owner();
    let (s, v) = env.post("/2fa/setup", json!({"ownerAddress": owner})).await;
    assert_eq!(s, 200, "{v}");
    let uri = v["data"]["otpauthUri"].as_str().unwrap().to_owned();
    let (s, v) = env
        .post(
            "/2fa/confirm",
            json!({"ownerAddress": owner, "twoFactorCode": env.code(&uri)}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let next = peaqos_gas_station::current_code_for(&uri, env.clock.now_secs() + 30).unwrap();
    let r = env.fund(&owner, random_address(), &next, None).await;
    assert_eq!(r.0, 200, "{}", r.1);
    for path in ["/faucet/fund", "/2fa/setup", "/faucet/2fa/confirm"] {
        let r = env.post(path, json!({"ownerAddress": owner})).await;
        assert_error(&r, 429, "RATE_LIMITED");
        assert!(
            r.1["message"]
                .as_str()
                .unwrap()
                .contains("per client address"),
            "{}",
            r.1
        );
    }
    // A limited request never reaches the handler: not even its body is looked at.
    let r = env.post_raw("/faucet/fund", "{not json", None).await;
    assert_error(&r, 429, "RATE_LIMITED");
    let (s, _, _) = env.get(&format!("{}/health", env.url())).await;
    assert_eq!(s, 200);
    // One request back every 20 s.
    env.clock.advance(20);
    let r = env
        .post("/2fa/setup", json!({"ownerAddress": "0x12"}))
        .await;
    assert_error(&r, 400, "INVALID_OWNER_ADDRESS");
    assert_error(
        &env.post("/2fa/setup", json!({"ownerAddress": "0x12"}))
            .await,
        429,
        "RATE_LIMITED",
    );
}

#[tokio::test]
async fn health_and_openapi() {
    let env = Env::start(Db::Sqlite).await;
    let (s, _, body) = env.get(&format!("{}/health", env.url())).await;
    assert_eq!(s, 200);
    let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v["status"], "ok");
    assert_eq!(v["chains"][0]["chainId"], 31337);
    assert_eq!(v["chains"][0]["aliases"][0], "devnet");
    let (s, ct, body) = env.get(&format!("{}/openapi.json", env.url())).await;
    assert_eq!(s, 200);
    assert!(ct.unwrap().starts_with("application/json"));
    let doc: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    let table = doc["info"]["x-error-codes"].as_array().unwrap();
    // The seed's 20 codes and 2FA_ALREADY_CONFIGURED, which peaq's CLI relies on.
    assert_eq!(table.len(), 21);
    for code in FAUCET_CODES.into_iter().chain(COMPAT_CODES) {
        let row = table.iter().find(|r| r["code"] == code.as_str()).unwrap();
        assert_eq!(row["httpStatus"], http_status(code).as_u16());
        assert!(http_status(code).as_u16() >= 400);
    }
    for p in [
        "/2fa/setup",
        "/faucet/2fa/setup",
        "/2fa/confirm",
        "/faucet/2fa/confirm",
        "/faucet/fund",
        "/2fa/qr/{file}",
    ] {
        assert!(doc["paths"][p].is_object(), "{p}");
    }
    assert!(
        doc["paths"]["/faucet/fund"]["post"]["responses"]["409"]["description"]
            .as_str()
            .unwrap()
            .contains("DUPLICATE_REQUEST")
    );
}

/// Helper to tweak the default test limits.
struct FundingLimitsExt;
impl FundingLimitsExt {
    fn with(
        f: impl FnOnce(&mut peaqos_gas_station::FundingLimits),
    ) -> peaqos_gas_station::FundingLimits {
        let mut l = test_limits();
        f(&mut l);
        l
    }
}
