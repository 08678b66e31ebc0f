//! DID attributes on the peaq DID precompile: the machine and proxy attribute writers (one
//! `batchAll` through the Batch precompile, adding absent attributes and updating existing
//! ones), `read_attribute`, and the one DID-write encoder [`encode_did_change`] (with
//! `encode_add_attribute`, peaq's name for its `addAttribute` case).

use alloy::primitives::{Address, B256, Bytes, U256};
use alloy::sol_types::SolCall;
use peaqos_contracts::precompiles::{Batch, DidRegistry};
use peaqos_types::constants::{
    DID_ATTR_DATA_API, DID_ATTR_DATA_VISIBILITY, DID_ATTR_DOCUMENTATION_URL, DID_ATTR_MACHINE_ID,
    DID_ATTR_MACHINES, DID_ATTR_NFT_TOKEN_ID, DID_ATTR_OPERATOR, DID_MAX_NAME_BYTES,
    DID_MAX_VALUE_BYTES,
};
use peaqos_types::{DataVisibility, Did, ValidationError};

use crate::client::PeaqosClient;
use crate::config::{IntoAddress, into_address};
use crate::error::{PeaqosError, Result};

/// The message the DID precompile reverts with when an attribute does not exist.
pub const ATTRIBUTE_NOT_FOUND_REASON: &str = "Cannot find the item";

/// Input of [`PeaqosClient::write_machine_did_attributes`] (the SDKs' `WriteMachineDIDParams`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct WriteMachineDidParams {
    /// The machine's id (positive).
    pub machine_id: u64,
    /// Its Machine NFT token id (positive).
    pub nft_token_id: u64,
    /// The proxy operator's DID (`did:peaq:0x…`), or `""` for a self-managed machine (the
    /// `operator` attribute is then absent, as the peaqID page describes).
    pub operator_did: String,
    /// Non-empty ASCII URL, at most 2560 bytes.
    pub documentation_url: String,
    /// Non-empty ASCII URL of the raw data API, at most 2560 bytes.
    pub data_api: String,
    /// `public`, `private` or `onchain`.
    pub data_visibility: DataVisibility,
}

/// Input of [`PeaqosClient::write_proxy_did_attributes`] (the SDKs' `WriteProxyDIDParams`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct WriteProxyDidParams {
    /// The proxy operator's own machine id (from its `register_machine`).
    pub proxy_machine_id: u64,
    /// Non-empty list of positive machine ids; its JSON must fit 2560 bytes.
    pub machine_ids: Vec<u64>,
}

/// One attribute as read from the DID precompile (the SDKs' `DIDAttributeResult`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DidAttribute {
    /// Attribute name.
    pub name: String,
    /// Attribute value (UTF-8, lossy).
    pub value: String,
    /// Validity in blocks; `0` when the attribute never expires.
    pub validity: u32,
    /// Creation time as the precompile stores it (block time in milliseconds).
    pub created: U256,
}

fn too_long(field: &str, display: &str, max: usize) -> ValidationError {
    ValidationError::new(
        field,
        "max_bytes",
        format!("{display} must be at most {max} bytes"),
    )
}

fn check_ascii(field: &str, display: &str, v: &str) -> std::result::Result<(), ValidationError> {
    if !v.is_ascii() {
        return Err(ValidationError::new(
            field,
            "ascii",
            format!("{display} must be ASCII"),
        ));
    }
    Ok(())
}

/// Checks an attribute name: non-empty, ASCII, at most [`DID_MAX_NAME_BYTES`].
pub fn validate_attribute_name(name: &str) -> std::result::Result<(), ValidationError> {
    if name.is_empty() {
        return Err(ValidationError::new(
            "name",
            "non_empty",
            "name must not be empty",
        ));
    }
    check_ascii("name", "name", name)?;
    if name.len() > DID_MAX_NAME_BYTES {
        return Err(too_long("name", "name", DID_MAX_NAME_BYTES));
    }
    Ok(())
}

/// Checks an attribute value: ASCII, at most [`DID_MAX_VALUE_BYTES`].
pub fn validate_attribute_value(
    field: &str,
    display: &str,
    value: &str,
) -> std::result::Result<(), ValidationError> {
    check_ascii(field, display, value)?;
    if value.len() > DID_MAX_VALUE_BYTES {
        return Err(too_long(field, display, DID_MAX_VALUE_BYTES));
    }
    Ok(())
}

fn check_url(field: &str, display: &str, v: &str) -> std::result::Result<(), ValidationError> {
    if v.trim().is_empty() {
        return Err(ValidationError::new(
            field,
            "non_empty",
            format!("{display} must not be empty"),
        ));
    }
    validate_attribute_value(field, display, v)
}

fn positive(field: &str, display: &str, v: u64) -> std::result::Result<(), ValidationError> {
    if v == 0 {
        return Err(ValidationError::new(
            field,
            "positive_integer",
            format!("{display} must be a positive integer"),
        ));
    }
    Ok(())
}

/// ABI call data of one DID write on the DID precompile, the one DID-write encoder:
/// `addAttribute` / `updateAttribute(did_account, name, value, valid_for)` (`valid_for` in
/// blocks, `0` = never expires) or `removeAttribute(did_account, name)`.
///
/// Errors: name empty / non-ASCII / over 64 bytes, value non-ASCII / over 2560 bytes.
pub fn encode_did_change(
    did_account: Address,
    change: &DidChange,
    valid_for: u32,
) -> Result<Bytes> {
    validate_attribute_name(change.name())?;
    let name = Bytes::copy_from_slice(change.name().as_bytes());
    let checked = |value: &str| -> Result<Bytes> {
        validate_attribute_value("value", "value", value)?;
        Ok(Bytes::copy_from_slice(value.as_bytes()))
    };
    let data = match change {
        DidChange::Add { value, .. } => DidRegistry::addAttributeCall {
            did_account,
            name,
            value: checked(value)?,
            validity_for: valid_for,
        }
        .abi_encode(),
        DidChange::Update { value, .. } => DidRegistry::updateAttributeCall {
            did_account,
            name,
            value: checked(value)?,
            validity_for: valid_for,
        }
        .abi_encode(),
        DidChange::Remove { .. } => {
            DidRegistry::removeAttributeCall { did_account, name }.abi_encode()
        }
    };
    Ok(data.into())
}

/// ABI call data of `addAttribute(did_account, name, value, valid_for)` (the SDKs'
/// `encodeAddAttribute`): [`encode_did_change`] of a [`DidChange::Add`].
pub fn encode_add_attribute(
    did_account: Address,
    name: &str,
    value: &str,
    valid_for: u32,
) -> Result<Bytes> {
    let add = DidChange::Add {
        name: name.to_owned(),
        value: value.to_owned(),
    };
    encode_did_change(did_account, &add, valid_for)
}

/// Validates machine DID parameters and returns the attributes to write, in documentation
/// order; `operator` is `None` when `operator_did` is empty.
pub fn machine_attributes(
    p: &WriteMachineDidParams,
) -> Result<Vec<(&'static str, Option<String>)>> {
    positive("machine_id", "machineId", p.machine_id)?;
    positive("nft_token_id", "nftTokenId", p.nft_token_id)?;
    let operator = if p.operator_did.is_empty() {
        None
    } else {
        validate_attribute_value("operator_did", "operatorDid", &p.operator_did)?;
        let did: Did = p
            .operator_did
            .parse()
            .map_err(|e: peaqos_types::DidParseError| {
                ValidationError::new("operator_did", "did", format!("operatorDid: {e}"))
            })?;
        Some(did.to_string())
    };
    check_url(
        "documentation_url",
        "documentationUrl",
        &p.documentation_url,
    )?;
    check_url("data_api", "dataApi", &p.data_api)?;
    Ok(vec![
        (DID_ATTR_MACHINE_ID, Some(p.machine_id.to_string())),
        (DID_ATTR_NFT_TOKEN_ID, Some(p.nft_token_id.to_string())),
        (DID_ATTR_OPERATOR, operator),
        (
            DID_ATTR_DOCUMENTATION_URL,
            Some(p.documentation_url.clone()),
        ),
        (DID_ATTR_DATA_API, Some(p.data_api.clone())),
        (
            DID_ATTR_DATA_VISIBILITY,
            Some(p.data_visibility.as_str().to_string()),
        ),
    ])
}

/// Validates proxy DID parameters and returns `[("machineId", id), ("machines", "[1,2,3]")]`.
pub fn proxy_attributes(p: &WriteProxyDidParams) -> Result<Vec<(&'static str, Option<String>)>> {
    positive("proxy_machine_id", "proxyMachineId", p.proxy_machine_id)?;
    if p.machine_ids.is_empty() {
        return Err(ValidationError::new(
            "machine_ids",
            "non_empty_list",
            "machineIds must be a non-empty list",
        )
        .into());
    }
    if p.machine_ids.contains(&0) {
        return Err(ValidationError::new(
            "machine_ids",
            "positive_integers",
            "machineIds must contain only positive integers",
        )
        .into());
    }
    let json = serde_json::to_string(&p.machine_ids).expect("u64 list serializes");
    if json.len() > DID_MAX_VALUE_BYTES {
        return Err(too_long("machine_ids", "machineIds JSON", DID_MAX_VALUE_BYTES).into());
    }
    Ok(vec![
        (DID_ATTR_MACHINE_ID, Some(p.proxy_machine_id.to_string())),
        (DID_ATTR_MACHINES, Some(json)),
    ])
}

impl PeaqosClient {
    /// Reads one attribute of `did_address`'s DID; `None` when it does not exist.
    pub async fn read_attribute_opt(
        &self,
        did_address: impl IntoAddress,
        name: &str,
    ) -> Result<Option<DidAttribute>> {
        let did_account = into_address(did_address, "did_address", "didAddress")?;
        validate_attribute_name(name)?;
        let call = DidRegistry::readAttributeCall {
            did_account,
            name: Bytes::copy_from_slice(name.as_bytes()),
        };
        match self.call_view(self.contracts().did_registry, &call).await {
            Ok(a) => Ok(Some(DidAttribute {
                name: String::from_utf8_lossy(&a.name).into_owned(),
                value: String::from_utf8_lossy(&a.value).into_owned(),
                validity: if a.validity == u32::MAX {
                    0
                } else {
                    a.validity
                },
                created: a.created,
            })),
            Err(PeaqosError::Rpc { ref message, .. })
                if message.contains(ATTRIBUTE_NOT_FOUND_REASON) =>
            {
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }

    /// Reads one attribute (the SDKs' `read_attribute`): `{name, value, validity, created}`.
    ///
    /// Errors: an `Rpc` error (`TX_REVERTED`, "Cannot find the item") when it does not exist.
    pub async fn read_attribute(
        &self,
        did_address: impl IntoAddress,
        name: &str,
    ) -> Result<DidAttribute> {
        let did_account = into_address(did_address, "did_address", "didAddress")?;
        self.read_attribute_opt(did_account, name).await?.ok_or_else(|| {
            PeaqosError::rpc(
                Some(peaqos_types::ErrorCode::TxReverted),
                format!("execution reverted: {ATTRIBUTE_NOT_FOUND_REASON} (attribute {name:?} of {did_account})"),
            )
        })
    }

    /// What writing `attrs` to `did_address`'s DID would change, reading each attribute first:
    /// `Some(v)` adds an absent name or updates a different value (an equal value is left
    /// alone); `None` removes the attribute if it holds a value. An attribute that exists with
    /// an empty value counts as absent for `None` (peaq's SDK writes `operator = ""` for a
    /// self-managed machine; that is left in place).
    pub async fn did_changes(
        &self,
        did_address: impl IntoAddress,
        attrs: &[(&str, Option<String>)],
    ) -> Result<Vec<DidChange>> {
        let account = into_address(did_address, "did_address", "didAddress")?;
        let mut out = Vec::with_capacity(attrs.len());
        for (name, value) in attrs {
            validate_attribute_name(name)?;
            if let Some(v) = value {
                validate_attribute_value("value", "value", v)?;
            }
            let current = self.read_attribute_opt(account, name).await?;
            let name = name.to_string();
            let change = match (value, current) {
                (Some(v), None) => DidChange::Add {
                    name,
                    value: v.clone(),
                },
                (Some(v), Some(c)) if &c.value != v => DidChange::Update {
                    name,
                    value: v.clone(),
                },
                (None, Some(c)) if !c.value.is_empty() => DidChange::Remove { name },
                _ => continue,
            };
            out.push(change);
        }
        Ok(out)
    }

    /// Brings the caller's own DID to `attrs` in one `batchAll` ([`PeaqosClient::did_changes`]:
    /// add absent names, update changed values, remove `None` ones). Returns the transaction
    /// hash, or `None` when the DID already holds these values (nothing is sent). Observed as
    /// `write_did_attributes`.
    pub async fn write_did_attributes(
        &self,
        attrs: &[(&str, Option<String>)],
    ) -> Result<Option<B256>> {
        self.write_did("write_did_attributes", attrs).await
    }

    async fn write_did(
        &self,
        label: &str,
        attrs: &[(&str, Option<String>)],
    ) -> Result<Option<B256>> {
        let me = self.address();
        let changes = self.did_changes(me, attrs).await?;
        if changes.is_empty() {
            return Ok(None);
        }
        let calls = encode_did_changes(me, &changes)?;
        let did = self.contracts().did_registry;
        let batch = Batch::batchAllCall {
            to: vec![did; calls.len()],
            value: vec![],
            callData: calls,
            gasLimit: vec![],
        };
        let r = self
            .send_tx(
                label,
                self.contracts().batch_precompile,
                batch.abi_encode().into(),
                U256::ZERO,
            )
            .await?;
        Ok(Some(r.transaction_hash))
    }

    /// Writes the six machine attributes (`machineId`, `nftTokenId`, `operator`,
    /// `documentation_url`, `data_api`, `data_visibility`) to the caller's DID in one atomic
    /// `batchAll`; re-running with changed values updates them (only what differs is sent).
    /// Must be signed by the machine's own key. Returns the transaction hash, or `None` when
    /// every attribute already holds its value (nothing sent). Observed as
    /// `write_machine_did_attributes`.
    pub async fn write_machine_did_attributes(
        &self,
        params: &WriteMachineDidParams,
    ) -> Result<Option<B256>> {
        let attrs = machine_attributes(params)?;
        self.write_did("write_machine_did_attributes", &attrs).await
    }

    /// What [`PeaqosClient::write_machine_did_attributes`] with `params` would change on
    /// `did_address`'s DID (each [`DidChange::Add`] locks the precompile's deposit).
    pub async fn machine_did_changes(
        &self,
        did_address: impl IntoAddress,
        params: &WriteMachineDidParams,
    ) -> Result<Vec<DidChange>> {
        let attrs = machine_attributes(params)?;
        self.did_changes(did_address, &attrs).await
    }

    /// Writes the proxy attributes (`machineId`, `machines` as a JSON array) to the caller's
    /// DID in one atomic `batchAll`. Returns the transaction hash, or `None` when both already
    /// hold these values. Observed as `write_proxy_did_attributes`.
    pub async fn write_proxy_did_attributes(
        &self,
        params: &WriteProxyDidParams,
    ) -> Result<Option<B256>> {
        let attrs = proxy_attributes(params)?;
        self.write_did("write_proxy_did_attributes", &attrs).await
    }
}

/// One change of a DID write ([`PeaqosClient::did_changes`]).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum DidChange {
    /// `addAttribute` of an absent name (the precompile reserves a deposit for it).
    Add {
        /// Attribute name.
        name: String,
        /// New value.
        value: String,
    },
    /// `updateAttribute` of an existing name with a different value.
    Update {
        /// Attribute name.
        name: String,
        /// New value.
        value: String,
    },
    /// `removeAttribute` (releases the deposit).
    Remove {
        /// Attribute name.
        name: String,
    },
}

impl DidChange {
    /// The attribute's name.
    pub fn name(&self) -> &str {
        match self {
            DidChange::Add { name, .. }
            | DidChange::Update { name, .. }
            | DidChange::Remove { name } => name,
        }
    }
}

/// The DID precompile calls (for one `batchAll`) that apply `changes` to `did_account`'s DID.
pub fn encode_did_changes(did_account: Address, changes: &[DidChange]) -> Result<Vec<Bytes>> {
    changes
        .iter()
        .map(|c| encode_did_change(did_account, c, 0))
        .collect()
}

#[cfg(test)]
#[allow(clippy::type_complexity)]
mod tests {
    use super::*;
    use alloy::sol_types::SolCall;

    fn machine() -> WriteMachineDidParams {
        WriteMachineDidParams {
            machine_id: 1,
            nft_token_id: 1,
            operator_did: String::new(),
            documentation_url: "https://docs.example.com".into(),
            data_api: "https://api.example.com".into(),
            data_visibility: DataVisibility::Public,
        }
    }

    fn err(r: Result<Vec<(&'static str, Option<String>)>>) -> ValidationError {
        r.unwrap_err()
            .as_validation()
            .cloned()
            .expect("validation error")
    }

    #[test]
    fn machine_attribute_rules_and_messages() {
        let ok = machine_attributes(&machine()).unwrap();
        assert_eq!(ok.len(), 6);
        assert_eq!(ok[2], ("operator", None));
        assert_eq!(ok[5], ("data_visibility", Some("public".into())));

        let cases: Vec<(Box<dyn Fn(&mut WriteMachineDidParams)>, &str, &str)> = vec![
            (
                Box::new(|p| p.machine_id = 0),
                "machine_id",
                "machineId must be a positive integer",
            ),
            (
                Box::new(|p| p.nft_token_id = 0),
                "nft_token_id",
                "nftTokenId must be a positive integer",
            ),
            (
                Box::new(|p| p.documentation_url = "".into()),
                "documentation_url",
                "documentationUrl must not be empty",
            ),
            (
                Box::new(|p| p.data_api = "  ".into()),
                "data_api",
                "dataApi must not be empty",
            ),
            (
                Box::new(|p| p.data_api = "https://é.example".into()),
                "data_api",
                "dataApi must be ASCII",
            ),
            (
                Box::new(|p| p.documentation_url = format!("https://{}", "a".repeat(2560))),
                "documentation_url",
                "documentationUrl must be at most 2560 bytes",
            ),
            (
                Box::new(|p| p.operator_did = "did:peaq:0x12".into()),
                "operator_did",
                "operatorDid: DID address must be 40 hex characters after did:peaq:0x, got 2",
            ),
            (
                Box::new(|p| p.operator_did = "0xabc".into()),
                "operator_did",
                "operatorDid: DID must start with did:peaq:0x",
            ),
            (
                Box::new(|p| p.operator_did = "did:peaq:0xé".into()),
                "operator_did",
                "operatorDid must be ASCII",
            ),
        ];
        for (mutate, field, msg) in cases {
            let mut p = machine();
            mutate(&mut p);
            let e = err(machine_attributes(&p));
            assert_eq!((e.field.as_str(), e.message.as_str()), (field, msg));
        }
        // A 2560-byte URL is fine.
        let mut p = machine();
        p.data_api = "h".repeat(2560);
        assert!(machine_attributes(&p).is_ok());
        // An operator DID is normalised to its checksummed form.
        let mut p = machine();
        p.operator_did = "did:peaq:0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266".into();
        let attrs = machine_attributes(&p).unwrap();
        assert_eq!(
            attrs[2].1.as_deref(),
            Some("did:peaq:0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266")
        );
        // Visibility strings parse with the documented message.
        let e = "secret".parse::<DataVisibility>().unwrap_err();
        assert_eq!(
            e.message,
            "data_visibility must be one of public, private, onchain"
        );
    }

    #[test]
    fn proxy_attribute_rules_and_messages() {
        let ok = proxy_attributes(&WriteProxyDidParams {
            proxy_machine_id: 10,
            machine_ids: vec![42, 43, 44],
        })
        .unwrap();
        assert_eq!(
            ok,
            vec![
                ("machineId", Some("10".into())),
                ("machines", Some("[42,43,44]".into()))
            ]
        );
        let e = err(proxy_attributes(&WriteProxyDidParams {
            proxy_machine_id: 0,
            machine_ids: vec![1],
        }));
        assert_eq!(e.message, "proxyMachineId must be a positive integer");
        let e = err(proxy_attributes(&WriteProxyDidParams {
            proxy_machine_id: 1,
            machine_ids: vec![],
        }));
        assert_eq!(
            (e.field.as_str(), e.message.as_str()),
            ("machine_ids", "machineIds must be a non-empty list")
        );
        let e = err(proxy_attributes(&WriteProxyDidParams {
            proxy_machine_id: 1,
            machine_ids: vec![1, 0],
        }));
        assert_eq!(e.message, "machineIds must contain only positive integers");
        let e = err(proxy_attributes(&WriteProxyDidParams {
            proxy_machine_id: 1,
            machine_ids: vec![u64::MAX; 200],
        }));
        assert_eq!(e.message, "machineIds JSON must be at most 2560 bytes");
    }

    #[test]
    fn encode_add_attribute_checks_and_encoding() {
        let a = Address::repeat_byte(7);
        let data = encode_add_attribute(a, "machineId", "42", 0).unwrap();
        let call = DidRegistry::addAttributeCall::abi_decode(&data).unwrap();
        assert_eq!(call.did_account, a);
        assert_eq!(call.name.as_ref(), b"machineId");
        assert_eq!(call.value.as_ref(), b"42");
        assert_eq!(&data[..4], &[0xcc, 0x4a, 0x70, 0xca]);
        let msg = |r: Result<Bytes>| r.unwrap_err().to_string();
        assert_eq!(
            msg(encode_add_attribute(a, "", "v", 0)),
            "name must not be empty"
        );
        assert_eq!(
            msg(encode_add_attribute(a, "naïve", "v", 0)),
            "name must be ASCII"
        );
        assert_eq!(
            msg(encode_add_attribute(a, &"n".repeat(65), "v", 0)),
            "name must be at most 64 bytes"
        );
        assert!(encode_add_attribute(a, &"n".repeat(64), "v", u32::MAX).is_ok());
        assert_eq!(
            msg(encode_add_attribute(a, "n", "ü", 0)),
            "value must be ASCII"
        );
        assert_eq!(
            msg(encode_add_attribute(a, "n", &"v".repeat(2561), 0)),
            "value must be at most 2560 bytes"
        );
    }

    #[test]
    fn one_encoder_for_add_update_and_remove() {
        let a = Address::repeat_byte(9);
        let (name, value) = ("data_api".to_owned(), "https://x".to_owned());
        let changes = [
            DidChange::Add {
                name: name.clone(),
                value: value.clone(),
            },
            DidChange::Update {
                name: name.clone(),
                value: value.clone(),
            },
            DidChange::Remove { name: name.clone() },
        ];
        let calls = encode_did_changes(a, &changes).unwrap();
        let add = DidRegistry::addAttributeCall::abi_decode(&calls[0]).unwrap();
        assert_eq!((add.did_account, add.validity_for), (a, 0));
        assert_eq!(add.value.as_ref(), value.as_bytes());
        let update = DidRegistry::updateAttributeCall::abi_decode(&calls[1]).unwrap();
        assert_eq!(update.name.as_ref(), name.as_bytes());
        assert_eq!(update.value.as_ref(), value.as_bytes());
        let remove = DidRegistry::removeAttributeCall::abi_decode(&calls[2]).unwrap();
        assert_eq!(
            (remove.did_account, remove.name.as_ref()),
            (a, name.as_bytes())
        );
        assert_eq!(
            encode_did_change(a, &changes[1], 7).unwrap(),
            DidRegistry::updateAttributeCall {
                did_account: a,
                name: name.as_bytes().to_vec().into(),
                value: value.as_bytes().to_vec().into(),
                validity_for: 7,
            }
            .abi_encode()
        );
        // every kind checks the name; add and update check the value too
        let bad_value = DidChange::Update {
            name: "n".into(),
            value: "ü".into(),
        };
        assert_eq!(
            encode_did_change(a, &bad_value, 0).unwrap_err().to_string(),
            "value must be ASCII"
        );
        let bad_name = DidChange::Remove {
            name: String::new(),
        };
        assert_eq!(
            encode_did_changes(a, &[bad_name]).unwrap_err().to_string(),
            "name must not be empty"
        );
    }
}
