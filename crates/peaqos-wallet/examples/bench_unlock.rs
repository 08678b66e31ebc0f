//! Unlock-time benchmark: scrypt (n = 65536, r = 8, p = 1) + AES-256-GCM per decrypt, and a
//! VaultSigner signature (one unlock + ECDSA) per call.
//!
//! `cargo run --release -p peaqos-wallet --example bench_unlock [iterations]`

use std::time::Instant;

use alloy::primitives::B256;
use peaqos_wallet::vault::Vault;
use peaqos_wallet::*;

fn stats(name: &str, mut ms: Vec<f64>) {
    ms.sort_by(f64::total_cmp);
    let mean = ms.iter().sum::<f64>() / ms.len() as f64;
    let p50 = ms[ms.len() / 2];
    let max = ms[ms.len() - 1];
    println!(
        "{name:<32} n={:<3} mean {mean:7.1} ms  p50 {p50:7.1} ms  min {:7.1} ms  max {max:7.1} ms",
        ms.len(),
        ms[0]
    );
}

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(10);
    let dir = std::env::temp_dir().join(format!("peaqos-wallet-bench-{}", std::process::id()));
    let vault = Vault::at(&dir);
    let pass = "bench passphrase";
    let mut create = Vec::new();
    for i in 0..n.min(5) {
        let t = Instant::now();
        create_wallet(&format!("w{i}"), Some(pass), 12, &vault).expect("create");
        create.push(t.elapsed().as_secs_f64() * 1e3);
    }
    let (_, file) = vault.find("w0").expect("find");
    let mut unlock = Vec::new();
    for _ in 0..n {
        let t = Instant::now();
        let secret = decrypt_wallet(&file, pass).expect("decrypt");
        unlock.push(t.elapsed().as_secs_f64() * 1e3);
        drop(secret);
    }
    let mut wrong = Vec::new();
    for _ in 0..n.min(5) {
        let t = Instant::now();
        assert!(decrypt_wallet(&file, "wrong").is_err());
        wrong.push(t.elapsed().as_secs_f64() * 1e3);
    }
    let signer = VaultSigner::open("w0", Some(pass), &vault).expect("open");
    let mut sign = Vec::new();
    for i in 0..n {
        let t = Instant::now();
        signer
            .sign_hash_now(&B256::with_last_byte(i as u8))
            .expect("sign");
        sign.push(t.elapsed().as_secs_f64() * 1e3);
    }
    println!(
        "scrypt n=65536 r=8 p=1 dklen=32, AES-256-GCM; {} CPU(s)",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    stats("create_wallet (encrypt+write)", create);
    stats("unlock (decrypt)", unlock);
    stats("wrong passphrase (rejected)", wrong);
    stats("VaultSigner sign (unlock+ECDSA)", sign);
    let _ = std::fs::remove_dir_all(&dir);
}
