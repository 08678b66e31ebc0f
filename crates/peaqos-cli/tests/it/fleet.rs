//! `activate --fleet machines.csv`: 25 machines from a CSV checked on chain, a run resumed from
//! a half-done journal, and malformed files refused by line number before anything is sent.

use crate::common::*;
use alloy::primitives::{Address, B256};
use alloy::providers::Provider;
use alloy::sol_types::SolCall;
use peaqos_cli::journal::Journal;
use peaqos_contracts::IdentityRegistry;
use peaqos_sdk::{PeaqosClient, PrivateKey, TxCall};

fn nonce(env: &Env, who: Address) -> u64 {
    let c = env.sdk(env.dev_key(9));
    env.rt
        .block_on(async { c.provider().get_transaction_count(who).await })
        .unwrap()
}

#[test]
fn a_fleet_of_25_from_a_csv_resumes_a_half_done_journal_without_registering_twice() {
    let env = Env::start();
    let file = env.write_stack_env("op.env");
    let op = env.sdk(env.dev_key(0));
    env.rt.block_on(op.register_machine()).unwrap();
    std::fs::create_dir(env.path("keys")).unwrap();

    // Machine 0 exists already: a previous run signed and broadcast its registerFor, journalled
    // it as sent, and was killed before the receipt. Machine 1's journalled hash never left.
    let (m0, k0) = PeaqosClient::generate_keypair();
    std::fs::write(env.path("keys/m0.key"), format!("{}\n", k0.expose_hex())).unwrap();
    let (m1, k1) = PeaqosClient::generate_keypair();
    std::fs::write(env.path("keys/m1.key"), format!("{}\n", k1.expose_hex())).unwrap();
    let journal = Journal::new(env.path("peaqos.log"));
    let pre_sent = env.rt.block_on(async {
        let call = TxCall {
            to: op.contracts().identity_registry,
            data: IdentityRegistry::registerForCall { machine: m0 }
                .abi_encode()
                .into(),
            value: op.min_bond().await.unwrap(),
        };
        let gas = op.gas_limit(&call).await.unwrap();
        let signed = op
            .sign_transactions("register_for", &[call], gas)
            .await
            .unwrap();
        journal
            .append("register", m0, signed[0].hash, "sent")
            .unwrap();
        op.send_signed(&signed[0]).await.unwrap()
    });
    let never_sent = B256::repeat_byte(0x77);
    journal.append("register", m1, never_sent, "sent").unwrap();

    let mut csv = String::from("# the test fleet\nkey_file,address,doc_url,visibility\n");
    csv.push_str(&format!("keys/m0.key,{m0},,\n"));
    csv.push_str(&format!(
        "keys/m1.key,{m1},https://docs.example.com/m1,onchain\n"
    ));
    for i in 2..25 {
        csv.push_str(&format!("keys/m{i}.key,,,\n"));
    }
    let csv_path = env.path("machines.csv");
    std::fs::write(&csv_path, &csv).unwrap();
    let csv_arg = csv_path.to_str().unwrap();

    let v = json(&env.run(&file, &["activate", "--fleet", csv_arg, "--json"]));
    assert_eq!(v["activated"], 25, "{v}");
    assert_eq!(v["failed"], 0);
    assert_eq!(v["proxyList"]["status"], "written");
    assert_eq!(v["proxyList"]["machines"], 25);
    let rows = v["machines"].as_array().unwrap();
    assert_eq!(rows.len(), 25);
    // the half-done machine: its journalled registration was awaited, not sent again
    assert_eq!(rows[0]["machineAddress"], m0.to_string());
    assert_eq!(rows[0]["line"], 3);
    assert!(rows[0]["transactions"]["register"].is_null(), "{}", rows[0]);
    let confirmed = journal
        .entries()
        .into_iter()
        .filter(|e| e.tx_hash == pre_sent && e.status == "confirmed")
        .count();
    assert_eq!(confirmed, 1);
    let dropped = journal
        .entries()
        .into_iter()
        .filter(|e| e.tx_hash == never_sent && e.status == "dropped")
        .count();
    assert_eq!(dropped, 1);
    let registers = journal
        .entries()
        .into_iter()
        .filter(|e| e.machine == m0 && e.step == "register" && e.status == "sent")
        .count();
    assert_eq!(registers, 1, "machine 0 registered once");

    let mut ids = Vec::new();
    env.rt.block_on(async {
        for (i, row) in rows.iter().enumerate() {
            let key = PrivateKey::parse(
                "k",
                std::fs::read_to_string(env.path(&format!("keys/m{i}.key")))
                    .unwrap()
                    .trim(),
            )
            .unwrap();
            if i >= 2 {
                assert_eq!(
                    mode(&env.path(&format!("keys/m{i}.key"))),
                    0o600,
                    "created key file"
                );
            }
            let m = key.address();
            assert_eq!(row["machineAddress"], m.to_string());
            let id = op.machine_id_of_owner(m).await.unwrap();
            assert_eq!(row["machineId"], id);
            assert_eq!(
                op.token_id_of(id).await.unwrap(),
                row["tokenId"].as_u64().unwrap()
            );
            let attr = |name: &'static str| {
                let op = op.clone();
                async move { op.read_attribute(m, name).await.unwrap().value }
            };
            assert_eq!(attr("machineId").await, id.to_string());
            assert_eq!(attr("operator").await, format!("did:peaq:{}", op.address()));
            let vis = if i == 1 { "onchain" } else { "public" };
            assert_eq!(attr("data_visibility").await, vis);
            ids.push(id);
        }
        let listed: Vec<u64> = serde_json::from_str(
            &op.read_attribute(op.address(), "machines")
                .await
                .unwrap()
                .value,
        )
        .unwrap();
        assert_eq!(listed, ids);
    });

    // A second run finds everything done and sends nothing.
    let before = nonce(&env, op.address());
    let again = json(&env.run(&file, &["activate", "--fleet", csv_arg, "--json"]));
    assert_eq!(again["activated"], 25);
    assert!(
        again["machines"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["status"] == "complete"),
        "{again}"
    );
    assert_eq!(again["proxyList"]["status"], "unchanged");
    assert_eq!(nonce(&env, op.address()), before);
}

#[test]
fn a_malformed_fleet_file_is_refused_by_line_before_anything_is_sent() {
    let env = Env::start();
    let file = env.write_stack_env("op.env");
    let op = env.sdk(env.dev_key(0));
    let csv = "key_file,visibility\n\
               a.key,public\n\
               b.key,secret\n\
               \n\
               a.key,\n\
               c.key,public,extra\n";
    std::fs::write(env.path("bad.csv"), csv).unwrap();
    let before = nonce(&env, op.address());
    let out = env.run(
        &file,
        &["activate", "--fleet", env.path("bad.csv").to_str().unwrap()],
    );
    expect_code(&out, 1);
    let err = stderr(&out);
    assert!(err.contains("3 problem(s), nothing was sent"), "{err}");
    for needle in ["line 3: ", "line 5: ", "line 6: "] {
        assert!(err.contains(needle), "{needle} in {err}");
    }
    assert!(err.contains("also on line 2"), "{err}");
    assert!(!env.path("a.key").exists(), "no key file created");
    assert_eq!(nonce(&env, op.address()), before);
    // fleet mode refuses the single-machine flags
    let mixed = env.run(
        &file,
        &[
            "activate",
            "--fleet",
            "bad.csv",
            "--for",
            &Address::ZERO.to_string(),
        ],
    );
    expect_code(&mixed, 1);
}
