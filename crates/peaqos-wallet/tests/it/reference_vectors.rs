//! Addresses the OWS reference (open-wallet-standard 1.4.2) derives for fixed inputs.

use peaqos_wallet::chains::ChainFamily;
use peaqos_wallet::wallet::{WalletSecret, parse_key_hex};
use zeroize::Zeroizing;

const ABANDON: &str =
    "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";

/// (family, index 0 address, index 1 address) from `ows.derive_address` / `import_wallet_mnemonic`.
const EXPECTED: [(ChainFamily, &str, &str); 12] = [
    (
        ChainFamily::Evm,
        "0x9858EfFD232B4033E47d90003D41EC34EcaEda94",
        "0x6Fac4D18c912343BF86fa7049364Dd4E424Ab9C0",
    ),
    (
        ChainFamily::Solana,
        "HAgk14JpMQLgt6rVgv7cBQFJWFto5Dqxi472uT3DKpqk",
        "Hh8QwFUA6MtVu1qAoq12ucvFHNwCcVTV7hpWjeY1Hztb",
    ),
    (
        ChainFamily::Bitcoin,
        "bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu",
        "bc1qnjg0jd8228aq7egyzacy8cys3knf9xvrerkf9g",
    ),
    (
        ChainFamily::Cosmos,
        "cosmos19rl4cm2hmr8afy4kldpxz3fka4jguq0auqdal4",
        "cosmos1jrkmdcwgq94uaamx6zax2luewlhf7u4kucx3kz",
    ),
    (
        ChainFamily::Tron,
        "TUEZSdKsoDHQMeZwihtdoBiN46zxhGWYdH",
        "TSeJkUh4Qv67VNFwY8LaAxERygNdy6NQZK",
    ),
    (
        ChainFamily::Ton,
        "UQBHyu-oZVDHRYQ1-rKlGqpHy5yAqanPBirEQNMNOmfHLtaT",
        "UQAockb65N9NqreZHrYfhipG94Q_gZYTBkV0mvaopLEEzOgi",
    ),
    (
        ChainFamily::Spark,
        "spark:0330d54fd0dd420a6e5f8d3624f5f3482cae350f79d5f0753bf5beef9c2d91af3c",
        "spark:03e775fd51f0dfb8cd865d9ff1cca2a158cf651fe997fdc9fee9c1d3b5e995ea77",
    ),
    (
        ChainFamily::Filecoin,
        "f1qode47ievxlxzk6z2viuovedabmn3tq6t57uqhq",
        "f12nzdrhfh6caurft7gwy6d3uazvgy3lhl7rfzvpq",
    ),
    (
        ChainFamily::Sui,
        "0x5e93a736d04fbb25737aa40bee40171ef79f65fae833749e3c089fe7cc2161f1",
        "0x082d099250999ab8450a9ef3a962edf9e2449e1045be32ba5a0f2c6117ff7167",
    ),
    (
        ChainFamily::Xrpl,
        "rHsMGQEkVNJmpGWs8XUBoTBiAAbwxZN5v3",
        "r3AgF9mMBFtaLhKcg96weMhbbEFLZ3mx17",
    ),
    (
        ChainFamily::Nano,
        "nano_1p6hocygi1pzjidi3hho3wn85qiw3ykapg7khu9b45dwf7momgqoytn1c1jz",
        "nano_3azjx8batwxj4edfsc3jzkh7sf1dga8e1cdwtw7w3dh6jkm5dbm1ickbuaic",
    ),
    (
        ChainFamily::Near,
        "5510e2b44cae6eb807e3e0e45d579dda058c274abcba15e5cb84636f5d1ee412",
        "3b93b03253b9715213ec314eb50ecc99d25602ccb5b059f91f51d24710d54326",
    ),
];

#[test]
fn mnemonic_accounts_match_the_reference_at_index_0_and_1() {
    let secret = WalletSecret::Mnemonic(Zeroizing::new(ABANDON.to_string()));
    for index in [0u32, 1] {
        let accounts = secret.derive_accounts(index).unwrap();
        assert_eq!(accounts.len(), EXPECTED.len());
        for (acc, (family, a0, a1)) in accounts.iter().zip(EXPECTED) {
            let want = if index == 0 { a0 } else { a1 };
            assert_eq!(acc.chain_id, family.caip2());
            assert_eq!(acc.address, want, "{family:?} index {index}");
            assert_eq!(acc.account_id, format!("{}:{}", family.caip2(), want));
            assert_eq!(acc.derivation_path, family.derivation_path(index));
        }
    }
}

#[test]
fn private_key_accounts_match_the_reference() {
    // ows.import_wallet_private_key(.., "4c08..2318") then export -> this key pair.
    let secret = WalletSecret::PrivateKeys {
        secp256k1: parse_key_hex(
            "4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318",
            "k",
        )
        .unwrap(),
        ed25519: parse_key_hex(
            "178bdf8c3ebbfe74a01fbabca27518b944e6cdacab4bd7b70583e4ce1392758d",
            "k",
        )
        .unwrap(),
    };
    let got: Vec<String> = secret
        .derive_accounts(0)
        .unwrap()
        .into_iter()
        .map(|a| a.address)
        .collect();
    let want = [
        "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23",
        "8XyEsUaY96TWL1wjY8WFC4eR7xffGeZMF7jQp2BD6Dsa",
        "bc1qnduq8yy8h4nr7g9vuuglzklqatmaquq9ac42k2",
        "cosmos1nduq8yy8h4nr7g9vuuglzklqatmaquq9tztpj8",
        "TE2H9hWjzYdwzDFRJfx9BFhr4MmjH1CHaz",
        "UQCt8_6iJWbsVK7w9_fg70y9PBM0g61kubEjYSY7gSmYnqmj",
        "spark:024e3b81af9c2234cad09d679ce6035ed1392347ce64ce405f5dcd36228a25de6e",
        "f1utzlswpqelskilx7nxzz3ocwjrsc3ejwwhooyhq",
        "0xe7e2717249760d465b4d332239c7a576ebd51efd776050ac3520222b33733f11",
        "rEBsWSAtNxGLQ7m4FhwQEaatwAwQFa5gWs",
        "nano_1jkgia1op1fz9q8guafbkeiab1qaew9ndc45u55iwrt4fqqygk99xmtst3uo",
        "6ff0d29327b7f311f9586c8cb955165a4afb841378d9871e30075a91ae67b7ad",
    ];
    assert_eq!(got, want);
}
