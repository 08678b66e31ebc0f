//! The devnet's JSON-RPC framing (axum + `rpc::handle_body`) against jsonrpsee's server, both
//! in front of the same method dispatcher, under the same load. Prints requests/s for single
//! calls and for batches of 10, each against both servers, interleaved.
//!
//! ```sh
//! cargo run --release -p peaqos-devnet --features jsonrpsee-compare --example rpc_framing -- [SECONDS] [CONNECTIONS]
//! ```
//!
//! The load generator speaks HTTP/1.1 with keep-alive over raw TCP (no client library in the
//! way): CONNECTIONS tasks, each sending its next request as soon as the last answer is read.

use jsonrpsee::server::{RpcModule, Server};
use jsonrpsee::types::{ErrorObjectOwned, Params};
use peaqos_devnet::{DevnetConfig, Node, build_node, rpc};
use serde_json::Value;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The methods registered with jsonrpsee (the read-only ones the load uses, and a few more).
const METHODS: &[&str] = &[
    "eth_chainId",
    "eth_blockNumber",
    "eth_getBalance",
    "eth_getTransactionCount",
    "eth_gasPrice",
    "net_version",
    "eth_getBlockByNumber",
];

fn jsonrpsee_module(node: Node) -> RpcModule<Node> {
    let mut module = RpcModule::new(node);
    for &name in METHODS {
        module
            .register_method(name, move |params: Params<'_>, node: &Node, _| {
                let params: Vec<Value> = if params.as_str().is_none() {
                    Vec::new()
                } else {
                    params.parse().map_err(|e: ErrorObjectOwned| e)?
                };
                rpc::dispatch(node, name, &params).map_err(|e| {
                    ErrorObjectOwned::owned(
                        e.code() as i32,
                        e.message().to_string(),
                        e.data().cloned(),
                    )
                })
            })
            .expect("unique method names");
    }
    module
}

async fn one_connection(addr: SocketAddr, body: Arc<Vec<u8>>, stop: Instant, done: Arc<AtomicU64>) {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    stream.set_nodelay(true).expect("nodelay");
    let request = [
        format!(
            "POST / HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            body.len()
        )
        .into_bytes(),
        body.to_vec(),
    ]
    .concat();
    let mut buf = vec![0u8; 64 * 1024];
    while Instant::now() < stop {
        stream.write_all(&request).await.expect("write");
        // Read one response: headers, then Content-Length bytes of body.
        let mut have = 0usize;
        loop {
            let n = stream.read(&mut buf[have..]).await.expect("read");
            assert!(n > 0, "server closed the connection");
            have += n;
            let Some(end) = buf[..have].windows(4).position(|w| w == b"\r\n\r\n") else {
                continue;
            };
            let head = std::str::from_utf8(&buf[..end])
                .expect("ascii headers")
                .to_ascii_lowercase();
            assert!(
                head.starts_with("http/1.1 200"),
                "unexpected answer: {head}"
            );
            let len: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .map(|v| v.trim().parse().expect("length"))
                .expect("content-length");
            while have < end + 4 + len {
                let n = stream.read(&mut buf[have..]).await.expect("read body");
                assert!(n > 0, "server closed the connection");
                have += n;
            }
            break;
        }
        done.fetch_add(1, Ordering::Relaxed);
    }
}

async fn load(addr: SocketAddr, body: &[u8], seconds: f64, connections: usize) -> f64 {
    let done = Arc::new(AtomicU64::new(0));
    let body = Arc::new(body.to_vec());
    let start = Instant::now();
    let stop = start + Duration::from_secs_f64(seconds);
    let tasks: Vec<_> = (0..connections)
        .map(|_| tokio::spawn(one_connection(addr, body.clone(), stop, done.clone())))
        .collect();
    for t in tasks {
        t.await.expect("load task");
    }
    done.load(Ordering::Relaxed) as f64 / start.elapsed().as_secs_f64()
}

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let seconds: f64 = args
        .next()
        .map(|s| s.parse().expect("SECONDS"))
        .unwrap_or(5.0);
    let connections: usize = args
        .next()
        .map(|s| s.parse().expect("CONNECTIONS"))
        .unwrap_or(32);

    let ours = peaqos_devnet::spawn(DevnetConfig::ephemeral())
        .await
        .expect("devnet");
    let node = build_node(&DevnetConfig::ephemeral()).expect("node");
    let server = Server::builder()
        .build("127.0.0.1:0")
        .await
        .expect("jsonrpsee bind");
    let theirs = server.local_addr().expect("addr");
    let handle = server.start(jsonrpsee_module(node));

    let single = br#"{"jsonrpc":"2.0","id":1,"method":"eth_blockNumber","params":[]}"#.to_vec();
    let batch = format!(
        "[{}]",
        (0..10)
            .map(|i| format!(r#"{{"jsonrpc":"2.0","id":{i},"method":"eth_chainId","params":[]}}"#))
            .collect::<Vec<_>>()
            .join(",")
    )
    .into_bytes();

    println!("{connections} connections, {seconds} s per run, release build recommended");
    println!("{:<28} {:>14} {:>14}", "load", "devnet (axum)", "jsonrpsee");
    for (label, body) in [
        ("single eth_blockNumber", &single),
        ("batch of 10 eth_chainId", &batch),
    ] {
        for round in 1..=2 {
            let a = load(ours.addr(), body, seconds, connections).await;
            let b = load(theirs, body, seconds, connections).await;
            println!(
                "{:<28} {:>12.0}/s {:>12.0}/s   (round {round}, HTTP requests/s)",
                label, a, b
            );
        }
    }
    handle.stop().expect("stop jsonrpsee");
    ours.shutdown().await.expect("stop devnet");
}
