//! `qualify event|events|mcr` and `show` against a stack, with every exit code.

use crate::common::*;

#[test]
fn events_go_on_chain_and_ratings_and_profiles_read_back() {
    let env = Env::start();
    let file = env.write_stack_env(".env");
    let me = env.stack().dev_signer(0).address();
    let did = format!("did:peaq:{me}");
    json(&env.run(&file, &["activate", "--json"]));
    let ts = (std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        - 86_400)
        .to_string();

    let raw = env.path("raw.bin");
    std::fs::write(&raw, b"meter reading 42").unwrap();
    let v = json(&env.run(
        &file,
        &[
            "qualify",
            "event",
            "--machine-id",
            "1",
            "--type",
            "revenue",
            "--value",
            "12500",
            "--currency",
            "USD",
            "--ts",
            &ts,
            "--raw-data",
            raw.to_str().unwrap(),
            "--json",
        ],
    ));
    assert_eq!(v["txHash"].as_str().unwrap().len(), 66);
    assert_eq!(
        v["dataHash"],
        peaqos_sdk::compute_data_hash(b"meter reading 42").to_string()
    );
    let text = env.run(
        &file,
        &[
            "qualify",
            "event",
            "--machine-id",
            "1",
            "--type",
            "activity",
            "--value",
            "3",
            "--ts",
            "2026-01-01T00:00:00Z",
        ],
    );
    expect_code(&text, 0);
    assert!(stdout(&text).contains("Tx hash") && stdout(&text).contains("Data hash"));

    // validation before sending (1), chain errors (2)
    let bad = env.run(
        &file,
        &[
            "qualify",
            "event",
            "--machine-id",
            "1",
            "--type",
            "revenue",
            "--value",
            "1",
            "--currency",
            "usd",
            "--ts",
            &ts,
        ],
    );
    expect_code(&bad, 1);
    assert!(stderr(&bad).contains("VALIDATION_ERROR"));
    expect_code(
        &env.run(
            &file,
            &[
                "qualify",
                "event",
                "--machine-id",
                "1",
                "--type",
                "refund",
                "--value",
                "1",
                "--ts",
                &ts,
            ],
        ),
        1,
    );
    expect_code(
        &env.run(
            &file,
            &[
                "qualify",
                "event",
                "--machine-id",
                "1",
                "--type",
                "revenue",
                "--value",
                "1",
                "--ts",
                "2026-01-01T00:00:00",
            ],
        ),
        1,
    );
    let unknown = env.run(
        &file,
        &[
            "qualify",
            "event",
            "--machine-id",
            "99",
            "--type",
            "revenue",
            "--value",
            "1",
            "--ts",
            &ts,
        ],
    );
    expect_code(&unknown, 2);
    assert!(stderr(&unknown).contains("MachineNotFound"));

    // many events from JSONL in batches
    let jsonl = env.path("events.jsonl");
    let lines: Vec<String> = (0..5)
        .map(|i| serde_json::json!({"machine_id": 1, "event_type": 0, "value": "1000", "currency": "USD", "timestamp": 1_767_225_600u64 + i, "trust_level": 0, "source_chain_id": 0}).to_string())
        .collect();
    std::fs::write(&jsonl, lines.join("\n")).unwrap();
    let b = json(&env.run(
        &file,
        &[
            "qualify",
            "events",
            "--file",
            jsonl.to_str().unwrap(),
            "--batch-size",
            "2",
            "--json",
        ],
    ));
    assert_eq!(b["events"], 5);
    assert_eq!(b["txHashes"].as_array().unwrap().len(), 3);

    env.wait_indexed();
    let m = json(&env.run(&file, &["qualify", "mcr", &did, "--json"]));
    assert_eq!(m["event_count"], 7);
    assert_eq!(m["revenue_event_count"], 6);
    assert_eq!(m["bond_status"], "bonded");
    let t = env.run(&file, &["qualify", "mcr", &did]);
    expect_code(&t, 0);
    assert!(stdout(&t).contains("Rating") && stdout(&t).contains("FX degraded"));

    let p = json(&env.run(&file, &["show", "machine", &did, "--json"]));
    assert_eq!(p["peaqos"]["machine_id"], 1);
    assert_eq!(p["peaqos"]["data_visibility"], "public");
    let ops = json(&env.run(
        &file,
        &["show", "operator", "machines", &did, "--all", "--json"],
    ));
    assert_eq!(ops["total"], 0, "a self-managed machine operates no fleet");

    // bad DID (1), unknown DID (2), MCR API down (2)
    expect_code(&env.run(&file, &["qualify", "mcr", "did:peaq:0x12"]), 1);
    let nf = env.run(
        &file,
        &[
            "show",
            "machine",
            "did:peaq:0x0000000000000000000000000000000000000001",
        ],
    );
    expect_code(&nf, 2);
    assert!(stderr(&nf).contains("NOT_FOUND"));
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut c = peaqos();
    c.current_dir(env.dir.path())
        .arg("--env-file")
        .arg(&file)
        .args(["qualify", "mcr", &did]);
    c.env("PEAQOS_MCR_API_URL", format!("http://127.0.0.1:{port}"));
    let down = c.output().unwrap();
    expect_code(&down, 2);
    assert_eq!(
        stderr(&down).lines().count(),
        1,
        "one line, no backtrace: {}",
        stderr(&down)
    );
}

#[test]
fn an_operator_fleet_pages_through_the_api() {
    let env = Env::start();
    let file = env.write_stack_env(".env");
    json(&env.run(&file, &["activate", "--json"]));
    let op = env.sdk(env.dev_key(0));
    let ids: Vec<u64> = (0..23)
        .map(|_| {
            let (a, _) = peaqos_sdk::PeaqosClient::generate_keypair();
            env.rt.block_on(op.register_for(a)).unwrap()
        })
        .collect();
    env.rt
        .block_on(
            op.write_proxy_did_attributes(&peaqos_sdk::WriteProxyDidParams {
                proxy_machine_id: 1,
                machine_ids: ids,
            }),
        )
        .unwrap();
    env.wait_indexed();
    let did = format!("did:peaq:{}", op.address());
    let first = json(&env.run(&file, &["show", "operator", "machines", &did, "--json"]));
    assert_eq!(first["total"], 23);
    assert_eq!(first["machines"].as_array().unwrap().len(), 20);
    let all = json(&env.run(
        &file,
        &["show", "operator", "machines", &did, "--all", "--json"],
    ));
    assert_eq!(all["machines"].as_array().unwrap().len(), 23);
    let table = env.run(&file, &["show", "operator", "machines", &did]);
    expect_code(&table, 0);
    assert!(stdout(&table).contains("use --all"));
}
