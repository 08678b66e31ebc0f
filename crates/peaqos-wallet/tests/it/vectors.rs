//! Published test vectors: BIP-39 (Trezor), BIP-32 test vector 1, SLIP-10 ed25519 test vector 1.

use peaqos_wallet::hd;

#[test]
fn bip39_trezor_vectors() {
    // (phrase, seed with passphrase "TREZOR") from the Trezor python-mnemonic vectors.json.
    let vectors = [
        (
            "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about",
            "c55257c360c07c72029aebc1b53c05ed0362ada38ead3e3e9efa3708e53495531f09a6987599d18264c1e1c92f2cf141630c7a3c4ab7c81b2f001698e7463b04",
        ),
        (
            "legal winner thank year wave sausage worth useful legal winner thank yellow",
            "2e8905819b8723fe2c1d161860e5ee1830318dbf49a83bd451cfb8440c28bd6fa457fe1296106559a3c80937a1c1069be3a3a5bd381ee6260e8d9739fce1f607",
        ),
        (
            "zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo wrong",
            "ac27495480225222079d7be181583751e86f571027b0497b5b5d11218e0a8a13332572917f0f8e5a589620c6f15b11c61dee327651a14c34e18231052e48c069",
        ),
    ];
    for (phrase, seed) in vectors {
        let norm = hd::normalize_mnemonic(phrase).unwrap();
        assert_eq!(&*norm, phrase);
        assert_eq!(
            hex::encode(*hd::mnemonic_to_seed(phrase, "TREZOR").unwrap()),
            seed
        );
    }
    // a bad checksum and an unknown word are refused
    assert!(hd::normalize_mnemonic("abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon").is_err());
    assert!(hd::normalize_mnemonic("abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon zzzz").is_err());
    // generation gives valid phrases of the right length
    for words in [12, 24] {
        let p = hd::generate_mnemonic(words).unwrap();
        assert_eq!(p.split(' ').count(), words);
        hd::normalize_mnemonic(&p).unwrap();
    }
    assert!(hd::generate_mnemonic(15).is_err());
}

#[test]
fn bip32_test_vector_1() {
    let seed = hex::decode("000102030405060708090a0b0c0d0e0f").unwrap();
    let cases = [
        (
            "m",
            "e8f32e723decf4051aefac8e2c93c9c5b214313817cdb01a1494b917c8436b35",
        ),
        (
            "m/0'",
            "edb2e14f9ee77d26dd93b4ecede8d16ed408ce149b6cd80b0715a2d911a0afea",
        ),
        (
            "m/0'/1",
            "3c6cb8d0f6a264c91ea8b5030fadaa8e538b020f0a387421a12de9319dc93368",
        ),
        (
            "m/0'/1/2'",
            "cbce0d719ecf7431d88e6a89fa1483e02e35092af60c042b1df2ff59fa424dca",
        ),
        (
            "m/0'/1/2'/2",
            "0f479245fb19a38a1954c5c7c0ebab2f9bdfd96a17563ef28a6a4b1a2a764ef4",
        ),
        (
            "m/0'/1/2'/2/1000000000",
            "471b76e389e528d6de6d816857e012c5455051cad6660850e58372a6c3e6e7c8",
        ),
    ];
    for (path, key) in cases {
        assert_eq!(
            hex::encode(*hd::derive_secp256k1(&seed, path).unwrap()),
            key,
            "{path}"
        );
    }
}

#[test]
fn slip10_ed25519_test_vector_1() {
    let seed = hex::decode("000102030405060708090a0b0c0d0e0f").unwrap();
    let cases = [
        (
            "m",
            "90046a93de5380a72b5e45010748567d5ea02bbf6522f979e05c0d8d8ca9fffb",
            "2b4be7f19ee27bbf30c667b642d5f4aa69fd169872f8fc3059c08ebae2eb19e7",
            "a4b2856bfec510abab89753fac1ac0e1112364e7d250545963f135f2a33188ed",
        ),
        (
            "m/0'",
            "8b59aa11380b624e81507a27fedda59fea6d0b779a778918a2fd3590e16e9c69",
            "68e0fe46dfb67e368c75379acec591dad19df3cde26e63b93a8e704f1dade7a3",
            "8c8a13df77a28f3445213a0f432fde644acaa215fc72dcdf300d5efaa85d350c",
        ),
        (
            "m/0'/1'",
            "a320425f77d1b5c2505a6b1b27382b37368ee640e3557c315416801243552f14",
            "b1d0bad404bf35da785a64ca1ac54b2617211d2777696fbffaf208f746ae84f2",
            "1932a5270f335bed617d5b935c80aedb1a35bd9fc1e31acafd5372c30f5c1187",
        ),
        (
            "m/0'/1'/2'",
            "2e69929e00b5ab250f49c3fb1c12f252de4fed2c1db88387094a0f8c4c9ccd6c",
            "92a5b23c0b8a99e37d07df3fb9966917f5d06e02ddbd909c7e184371463e9fc9",
            "ae98736566d30ed0e9d2f4486a64bc95740d89c7db33f52121f8ea8f76ff0fc1",
        ),
    ];
    for (path, chain, key, public) in cases {
        let node = hd::derive_slip10_ed25519(&seed, path).unwrap();
        assert_eq!(hex::encode(*node.chain_code), chain, "{path}");
        assert_eq!(hex::encode(*node.key), key, "{path}");
        assert_eq!(hex::encode(hd::ed25519_public(&node.key)), public, "{path}");
    }
    // non-hardened steps do not exist for ed25519
    assert!(hd::derive_slip10_ed25519(&seed, "m/0'/1").is_err());
    assert!(format!("{:?}", hd::derive_slip10_ed25519(&seed, "m").unwrap()).contains("redacted"));
}
