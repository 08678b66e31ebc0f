//! Property tests of the JSON-RPC framing and dispatch: malformed JSON, wrong types, huge and
//! empty batches, deep nesting and oversized hex never panic or hang, and every answer is either
//! a result or a JSON-RPC error object with a -32xxx (or revert 3) code.

use peaqos_devnet::{DevnetConfig, Node, build_node, rpc::handle_body};
use proptest::prelude::*;
use serde_json::{Value, json};
use std::sync::OnceLock;

fn node() -> &'static Node {
    static NODE: OnceLock<Node> = OnceLock::new();
    NODE.get_or_init(|| build_node(&DevnetConfig::ephemeral()).expect("devnet"))
}

/// Checks one answer object: `jsonrpc: "2.0"`, an `id`, and exactly one of `result` / `error`
/// with a JSON-RPC code.
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
                (-32768..=-32000).contains(&code) || code == 3,
                "code {code} outside the JSON-RPC ranges: {a}"
            );
            assert!(e["message"].as_str().is_some_and(|m| !m.is_empty()), "{a}");
        }
        _ => panic!("answer needs exactly one of result / error: {a}"),
    }
}

fn check_body(body: &[u8]) -> Option<Value> {
    let out = handle_body(node(), body);
    match &out {
        None => {}
        Some(Value::Array(items)) => items.iter().for_each(check_answer),
        Some(one) => check_answer(one),
    }
    out
}

/// Methods the devnet serves, plus unknown ones, with read-only effects only.
const METHODS: &[&str] = &[
    "eth_chainId",
    "eth_blockNumber",
    "eth_getBalance",
    "eth_getTransactionCount",
    "eth_getCode",
    "eth_getStorageAt",
    "eth_call",
    "eth_estimateGas",
    "eth_sendRawTransaction",
    "eth_getTransactionByHash",
    "eth_getTransactionReceipt",
    "eth_getBlockByNumber",
    "eth_getBlockByHash",
    "eth_getLogs",
    "eth_feeHistory",
    "net_version",
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
        // hex of every length, including oversized and odd ones
        (0usize..300).prop_map(|n| Value::from(format!("0x{}", "a".repeat(n)))),
        Just(Value::from("latest")),
        Just(Value::from("0x5FF137D4b0FDCD49DcA30c7CF57E578a026d2789")),
    ];
    leaf.prop_recursive(6, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::from),
            prop::collection::btree_map("[a-zA-Z]{1,8}", inner, 0..6)
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
        any::<bool>(),
    )
        .prop_map(|(method, params, id, version)| {
            let mut r = json!({"method": method, "params": params});
            if version {
                r["jsonrpc"] = json!("2.0");
            }
            if let Some(id) = id {
                r["id"] = id;
            }
            r
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, .. ProptestConfig::default() })]

    #[test]
    fn any_request_gets_a_well_formed_answer(req in arb_request()) {
        let body = serde_json::to_vec(&req).unwrap();
        let out = check_body(&body);
        // Only a request without an id (a notification) goes unanswered.
        prop_assert_eq!(out.is_none(), req.get("id").is_none());
    }

    #[test]
    fn batches_answer_each_call_once(reqs in prop::collection::vec(arb_request(), 1..40)) {
        let body = serde_json::to_vec(&reqs).unwrap();
        let calls = reqs.iter().filter(|r| r.get("id").is_some()).count();
        match check_body(&body) {
            None => prop_assert_eq!(calls, 0),
            Some(Value::Array(answers)) => prop_assert_eq!(answers.len(), calls),
            Some(other) => prop_assert!(false, "a batch needs an array answer: {other}"),
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        check_body(&bytes);
    }

    #[test]
    fn any_json_value_as_body_never_panics(v in arb_json()) {
        check_body(&serde_json::to_vec(&v).unwrap());
    }
}

#[test]
fn malformed_json_is_a_parse_error() {
    let out = check_body(b"{\"jsonrpc\":\"2.0\",\"id\":1,").expect("an answer");
    assert_eq!(out["error"]["code"], -32700);
}

#[test]
fn an_empty_batch_is_an_invalid_request() {
    let out = check_body(b"[]").expect("an answer");
    assert_eq!(out["error"]["code"], -32600);
}

#[test]
fn deep_nesting_is_refused_without_a_stack_overflow() {
    // serde_json's recursion limit (128) turns this into a parse error instead of a crash.
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let out = check_body(deep.as_bytes()).expect("an answer");
    assert_eq!(out["error"]["code"], -32700);
}

#[test]
fn a_huge_batch_is_answered_in_full() {
    let reqs: Vec<Value> = (0..5_000)
        .map(|i| json!({"jsonrpc": "2.0", "id": i, "method": "eth_chainId"}))
        .collect();
    let Some(Value::Array(answers)) = check_body(&serde_json::to_vec(&reqs).unwrap()) else {
        panic!("a batch needs an array answer");
    };
    assert_eq!(answers.len(), 5_000);
}

#[test]
fn oversized_hex_parameters_are_invalid_params() {
    let huge = format!("0x{}", "f".repeat(100_000));
    for (method, params) in [
        ("eth_getBalance", json!([huge, "latest"])),
        ("eth_getBlockByNumber", json!([huge, false])),
        ("eth_getTransactionReceipt", json!([huge])),
        ("eth_sendRawTransaction", json!([huge])),
    ] {
        let body = serde_json::to_vec(
            &json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}),
        )
        .unwrap();
        let out = check_body(&body).expect("an answer");
        let code = out["error"]["code"]
            .as_i64()
            .unwrap_or_else(|| panic!("{method}: {out}"));
        assert!(code == -32602 || code == -32000, "{method}: {out}");
    }
}

/// Over HTTP: a body over the limit is a -32600 JSON-RPC answer (it was axum's bare 413), and
/// a body just under it is parsed.
#[tokio::test]
async fn an_oversized_body_is_a_json_rpc_error() {
    let dev = peaqos_devnet::spawn(DevnetConfig::ephemeral())
        .await
        .unwrap();
    let post = |body: Vec<u8>| {
        let url = dev.url();
        async move {
            let r = alloy::transports::http::reqwest::Client::builder()
                .no_proxy()
                .build()
                .unwrap()
                .post(url)
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200);
            r.json::<Value>().await.unwrap()
        }
    };
    let big = post(vec![b' '; peaqos_devnet::MAX_BODY_BYTES + 1024]).await;
    assert_eq!(big["error"]["code"], -32600, "{big}");
    let mut near = br#"{"jsonrpc":"2.0","id":1,"method":"eth_chainId"}"#.to_vec();
    near.resize(peaqos_devnet::MAX_BODY_BYTES - 16, b' ');
    let ok = post(near).await;
    assert_eq!(ok["result"], "0x7a69", "{ok}");
    dev.shutdown().await.unwrap();
}
