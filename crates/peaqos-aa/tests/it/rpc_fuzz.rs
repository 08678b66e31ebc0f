//! Property tests of the bundler's JSON-RPC framing and dispatch over HTTP: malformed JSON,
//! wrong types, huge and empty batches, deep nesting and oversized hex never panic, hang or
//! answer anything but JSON-RPC: every answer is a result or an error object with a -32xxx
//! code (ERC-7769's -32500..-32507 included), and only notifications go unanswered (204).
//! Bounded: 4 properties x 128 cases plus the edge cases, on one bundler.

use crate::util::*;
use proptest::prelude::*;
use serde_json::{Value, json};
use std::sync::OnceLock;
use std::time::Duration;

/// One runtime and one bundler for every case (a devnet per case would dominate the run).
fn shared() -> &'static (tokio::runtime::Runtime, String) {
    static SHARED: OnceLock<(tokio::runtime::Runtime, String)> = OnceLock::new();
    SHARED.get_or_init(|| {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let url = rt.block_on(async {
            let aa = Aa::start().await;
            let url = aa.url();
            // keep the devnet and the bundler for the whole binary
            Box::leak(Box::new(aa));
            url
        });
        (rt, url)
    })
}

/// POSTs `body`; (HTTP status, JSON answer or `None` for an empty body). Bounded by 30 s: a
/// hang fails the case.
fn send(body: Vec<u8>) -> (u16, Option<Value>) {
    let (rt, url) = shared();
    rt.block_on(async {
        let r = tokio::time::timeout(
            Duration::from_secs(30),
            alloy::transports::http::reqwest::Client::new()
                .post(url)
                .header("content-type", "application/json")
                .body(body)
                .send(),
        )
        .await
        .expect("the bundler answers within 30 s")
        .expect("HTTP answer");
        let status = r.status().as_u16();
        let text = r.text().await.expect("body");
        let v = (!text.is_empty()).then(|| {
            serde_json::from_str::<Value>(&text)
                .unwrap_or_else(|e| panic!("answer is not JSON ({e}): {text:.200}"))
        });
        (status, v)
    })
}

/// `jsonrpc: "2.0"`, an `id`, and exactly one of `result` / `error` with a JSON-RPC code.
fn check_answer(a: &Value) {
    assert_eq!(a["jsonrpc"], "2.0", "{a}");
    assert!(a.get("id").is_some(), "answer without id: {a}");
    match (a.get("result"), a.get("error")) {
        (Some(_), None) => {}
        (None, Some(e)) => {
            let code = e["code"]
                .as_i64()
                .unwrap_or_else(|| panic!("error without code: {a}"));
            assert!(
                (-32768..=-32000).contains(&code),
                "code {code} outside the JSON-RPC range: {a}"
            );
            assert!(e["message"].as_str().is_some_and(|m| !m.is_empty()), "{a}");
        }
        _ => panic!("answer needs exactly one of result / error: {a}"),
    }
}

fn check(body: Vec<u8>) -> (u16, Option<Value>) {
    let (status, out) = send(body);
    match &out {
        None => assert_eq!(status, 204, "an empty answer is a 204"),
        Some(Value::Array(items)) => {
            assert_eq!(status, 200);
            items.iter().for_each(check_answer)
        }
        Some(one) => {
            assert_eq!(status, 200, "{one}");
            check_answer(one)
        }
    }
    (status, out)
}

const METHODS: &[&str] = &[
    "eth_chainId",
    "eth_supportedEntryPoints",
    "eth_sendUserOperation",
    "eth_estimateUserOperationGas",
    "eth_getUserOperationByHash",
    "eth_getUserOperationReceipt",
    "debug_bundler_dumpMempool",
    "debug_bundler_setBundlingMode",
    "no_such_method",
    "",
];

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(|f| json!(f)),
        "[ -~]{0,40}".prop_map(Value::from),
        (0usize..300).prop_map(|n| Value::from(format!("0x{}", "a".repeat(n)))),
        Just(Value::from(format!("{EP:#x}"))),
        Just(Value::from("auto")),
    ];
    leaf.prop_recursive(6, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::from),
            prop::collection::btree_map(
                prop::sample::select(vec![
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
                    "x",
                ])
                .prop_map(str::to_owned),
                inner,
                0..8
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn arb_request() -> impl Strategy<Value = Value> {
    (
        prop::sample::select(METHODS),
        arb_json(),
        prop_oneof![
            Just(None),
            any::<u32>().prop_map(|i| Some(json!(i))),
            "[a-z]{0,6}".prop_map(|s| Some(json!(s)))
        ],
    )
        .prop_map(|(method, params, id)| {
            let mut r = json!({"jsonrpc": "2.0", "method": method, "params": params});
            if let Some(id) = id {
                r["id"] = id;
            }
            r
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, .. ProptestConfig::default() })]

    #[test]
    fn any_request_gets_a_well_formed_answer(req in arb_request()) {
        let (_, out) = check(serde_json::to_vec(&req).unwrap());
        prop_assert_eq!(out.is_none(), req.get("id").is_none());
    }

    #[test]
    fn batches_answer_each_call_once(reqs in prop::collection::vec(arb_request(), 1..24)) {
        let calls = reqs.iter().filter(|r| r.get("id").is_some()).count();
        let (_, out) = check(serde_json::to_vec(&reqs).unwrap());
        match out {
            None => prop_assert_eq!(calls, 0),
            Some(Value::Array(items)) => prop_assert_eq!(items.len(), calls),
            Some(other) => prop_assert!(false, "a batch answered {}", other),
        }
    }

    #[test]
    fn arbitrary_bytes_are_answered(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        check(bytes);
    }

    #[test]
    fn any_json_value_as_body_is_answered(v in arb_json()) {
        check(serde_json::to_vec(&v).unwrap());
    }
}

fn code(v: &Option<Value>) -> i64 {
    v.as_ref().unwrap()["error"]["code"].as_i64().unwrap()
}

#[test]
fn malformed_empty_and_nested_bodies() {
    assert_eq!(code(&check(b"{".to_vec()).1), -32700);
    assert_eq!(code(&check(Vec::new()).1), -32700);
    assert_eq!(code(&check(b"[]".to_vec()).1), -32600);
    assert_eq!(code(&check(b"\"x\"".to_vec()).1), -32600);
    // 100 000 levels of nesting: a parse error, no stack overflow
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    assert_eq!(code(&check(deep.into_bytes()).1), -32700);
    let deep_params = format!(
        r#"{{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":{}1{}}}"#,
        "[".repeat(5_000),
        "]".repeat(5_000)
    );
    assert_eq!(code(&check(deep_params.into_bytes()).1), -32700);
}

#[test]
fn oversized_hex_and_huge_batches() {
    // a 1 MiB hex string as a UserOperation hash and as calldata
    let big = format!("0x{}", "ab".repeat(512 * 1024));
    let (_, out) = check(
        serde_json::to_vec(
            &json!({"jsonrpc":"2.0","id":1,"method":"eth_getUserOperationByHash","params":[big]}),
        )
        .unwrap(),
    );
    assert_eq!(code(&out), -32602);
    // 2 000 calls in one batch: every one answered, in order
    let batch: Vec<Value> = (0..2_000)
        .map(|i| json!({"jsonrpc":"2.0","id":i,"method":"eth_chainId"}))
        .collect();
    let (_, out) = check(serde_json::to_vec(&batch).unwrap());
    let items = out.unwrap();
    let items = items.as_array().unwrap();
    assert_eq!(items.len(), 2_000);
    assert!(items.iter().enumerate().all(|(i, a)| a["id"] == i));
    // a body over the size limit is still a JSON-RPC error, not a bare HTTP error (found by
    // this test: axum's bare 413)
    let huge = vec![b' '; peaqos_aa::MAX_BODY_BYTES + 1024];
    let (_, out) = check(huge);
    assert_eq!(code(&out), -32600, "{out:?}");
}
