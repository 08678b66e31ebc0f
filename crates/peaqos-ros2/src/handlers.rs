//! What each service does, on the SDK, in-process. Every request is validated (addresses, hex,
//! event type, trust level, JSON) before anything is signed or sent; every failure answers with
//! `success=false` and the SDK's code ([`crate::outcome`]). Request contents are never logged
//! (2FA codes are request-only); keys and passphrases never appear in a response.

use std::collections::HashMap;
use std::sync::Arc;

use alloy::primitives::{Address, B256, U256};
use peaqos_sdk::config::PrivateKey;
use peaqos_sdk::{
    DataVisibility, FundParams, FundResult, GasStationClient, PeaqosClient, PeaqosConfig, QrFormat,
    SubmitEventParams, WriteMachineDidParams, WriteProxyDidParams,
};
use peaqos_types::event::validate_submit_event_params;
use peaqos_types::{ContractAddresses, resolve_currency};
use serde_json::Value;
use tokio::sync::Mutex;

use crate::config::NodeConfig;
use crate::interfaces::*;
use crate::json;
use crate::outcome::{Failure, Outcome, codes};
use crate::registry::{Registry, RegistryError};

type R<T> = Result<T, Failure>;

impl From<RegistryError> for Failure {
    fn from(e: RegistryError) -> Self {
        Failure::new(e.code(), "", e.to_string())
    }
}

/// The node's state behind the services: configuration, wallet registry, one SDK client per
/// signer (so one signer's nonces are managed by one client however many calls run at once).
pub struct Handlers {
    cfg: NodeConfig,
    registry: Mutex<Registry>,
    clients: Mutex<HashMap<Address, PeaqosClient>>,
    reader: Mutex<Option<PeaqosClient>>,
    http: reqwest::Client,
}

impl std::fmt::Debug for Handlers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Handlers").field("cfg", &self.cfg).finish()
    }
}

fn addr(field: &str, s: &str) -> R<Address> {
    let s = s.trim();
    if s.is_empty() {
        return Err(Failure::invalid(field, format!("{field} is required")));
    }
    peaqos_types::did::parse_address_strict(s).ok_or_else(|| {
        Failure::invalid(
            field,
            format!("{field} must be a valid 0x-prefixed Ethereum address"),
        )
    })
}

fn hex_bytes(field: &str, s: &str) -> R<Vec<u8>> {
    let t = s.trim();
    let t = t
        .strip_prefix("0x")
        .or_else(|| t.strip_prefix("0X"))
        .unwrap_or(t);
    hex::decode(t).map_err(|_| {
        Failure::invalid(
            field,
            format!("{field} must be hex (an even number of hex digits, 0x optional)"),
        )
    })
}

fn positive(field: &str, v: u64) -> R<u64> {
    if v == 0 {
        return Err(Failure::invalid(
            field,
            format!("{field} must be a positive integer"),
        ));
    }
    Ok(v)
}

fn hash_hex(h: B256) -> String {
    format!("{h:#x}")
}

/// The nine event fields of PeaqosValidateEvent / PeaqosSubmitEvent.
#[derive(Debug, Clone, Default)]
pub struct EventFields {
    /// Machine id.
    pub machine_id: u64,
    /// 0 revenue, 1 activity.
    pub event_type: u8,
    /// Value.
    pub value: U256,
    /// Unix seconds.
    pub timestamp: u64,
    /// Hex raw data (empty: none).
    pub raw_data_hex: String,
    /// 0, 1, 2.
    pub trust_level: u8,
    /// 0, 3338, 8453.
    pub source_chain_id: u64,
    /// `0x` + 64 hex or empty.
    pub source_tx_hash: String,
    /// Hex metadata (empty: none).
    pub metadata_hex: String,
    /// Currency (events_json only; default from the event type).
    pub currency: Option<String>,
}

/// Validates the event fields and builds the SDK's parameters (no chain access).
pub fn event_params(e: &EventFields, prefix: &str) -> R<SubmitEventParams> {
    let f = |name: &str| format!("{prefix}{name}");
    let raw = if e.raw_data_hex.trim().is_empty() {
        None
    } else {
        Some(hex_bytes(&f("raw_data_hex"), &e.raw_data_hex)?)
    };
    let metadata = if e.metadata_hex.trim().is_empty() {
        Vec::new()
    } else {
        hex_bytes(&f("metadata_hex"), &e.metadata_hex)?
    };
    let source_tx_hash = Some(e.source_tx_hash.trim().to_string()).filter(|s| !s.is_empty());
    let currency = resolve_currency(e.event_type, e.currency.as_deref()).to_string();
    let p = SubmitEventParams {
        machine_id: e.machine_id,
        event_type: e.event_type,
        value: e.value,
        currency: Some(currency),
        timestamp: e.timestamp,
        raw_data: raw,
        trust_level: e.trust_level,
        source_chain_id: e.source_chain_id,
        source_tx_hash,
        metadata,
    };
    validate_submit_event_params(&p).map_err(|v| {
        let base = Failure::from(peaqos_sdk::PeaqosError::Validation(v));
        let field = f(&base.field);
        let message = if prefix.is_empty() {
            base.message
        } else {
            format!("{}: {}", prefix.trim_end_matches('.'), base.message)
        };
        Failure::new(&base.code, &field, message)
    })?;
    Ok(p)
}

fn key<'a>(o: &'a serde_json::Map<String, Value>, snake: &str) -> Option<&'a Value> {
    if let Some(v) = o.get(snake) {
        return Some(v);
    }
    let mut camel = String::new();
    let mut up = false;
    for c in snake.chars() {
        if c == '_' {
            up = true;
        } else if up {
            camel.push(c.to_ascii_uppercase());
            up = false;
        } else {
            camel.push(c);
        }
    }
    o.get(&camel)
}

fn uint_of(v: &Value, field: &str) -> R<U256> {
    let bad = || Failure::invalid(field, format!("{field} must be a non-negative integer"));
    match v {
        Value::Number(n) => n.as_u64().map(U256::from).ok_or_else(bad),
        Value::String(s) => {
            let s = s.trim();
            if let Some(h) = s.strip_prefix("0x") {
                U256::from_str_radix(h, 16).map_err(|_| bad())
            } else {
                U256::from_str_radix(s, 10).map_err(|_| bad())
            }
        }
        _ => Err(bad()),
    }
}

fn u64_of(v: &Value, field: &str) -> R<u64> {
    let n = uint_of(v, field)?;
    u64::try_from(n).map_err(|_| Failure::invalid(field, format!("{field} must fit in 64 bits")))
}

fn str_of(v: &Value, field: &str) -> R<String> {
    match v {
        Value::String(s) => Ok(s.clone()),
        Value::Null => Ok(String::new()),
        _ => Err(Failure::invalid(field, format!("{field} must be a string"))),
    }
}

/// Parses `events_json`: a JSON array of objects with the PeaqosSubmitEvent fields (snake or
/// camel case keys, no signer_address), each validated as events/submit validates.
pub fn parse_events_json(text: &str) -> R<Vec<SubmitEventParams>> {
    let v: Value = serde_json::from_str(text).map_err(|e| {
        Failure::invalid("events_json", format!("events_json is not valid JSON: {e}"))
    })?;
    let Value::Array(items) = v else {
        return Err(Failure::invalid(
            "events_json",
            "events_json must be a JSON array",
        ));
    };
    if items.is_empty() {
        return Err(Failure::invalid(
            "events_json",
            "events_json must be a non-empty list",
        ));
    }
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let p = format!("events_json[{i}].");
        let Value::Object(o) = item else {
            return Err(Failure::invalid(
                "events_json",
                format!("events_json[{i}] must be an object"),
            ));
        };
        let req = |k: &str| {
            key(o, k).ok_or_else(|| {
                Failure::invalid("events_json", format!("events_json[{i}].{k} is required"))
            })
        };
        let opt = |k: &str| key(o, k).filter(|v| !v.is_null());
        let small = |k: &str, v: &Value| -> R<u8> {
            let n = u64_of(v, &format!("{p}{k}"))?;
            u8::try_from(n).map_err(|_| {
                Failure::invalid(&format!("{p}{k}"), format!("{p}{k} must fit in 8 bits"))
            })
        };
        let e = EventFields {
            machine_id: u64_of(req("machine_id")?, &format!("{p}machine_id"))?,
            event_type: small("event_type", req("event_type")?)?,
            value: uint_of(req("value")?, &format!("{p}value"))?,
            timestamp: u64_of(req("timestamp")?, &format!("{p}timestamp"))?,
            raw_data_hex: opt("raw_data_hex")
                .map(|v| str_of(v, &format!("{p}raw_data_hex")))
                .transpose()?
                .unwrap_or_default(),
            trust_level: opt("trust_level")
                .map(|v| small("trust_level", v))
                .transpose()?
                .unwrap_or(0),
            source_chain_id: opt("source_chain_id")
                .map(|v| u64_of(v, &format!("{p}source_chain_id")))
                .transpose()?
                .unwrap_or(0),
            source_tx_hash: opt("source_tx_hash")
                .map(|v| str_of(v, &format!("{p}source_tx_hash")))
                .transpose()?
                .unwrap_or_default(),
            metadata_hex: opt("metadata_hex")
                .map(|v| str_of(v, &format!("{p}metadata_hex")))
                .transpose()?
                .unwrap_or_default(),
            currency: opt("currency")
                .map(|v| str_of(v, &format!("{p}currency")))
                .transpose()?
                .filter(|c| !c.is_empty()),
        };
        out.push(event_params(&e, &p)?);
    }
    Ok(out)
}

/// `salt`: a uint256 as decimal text or `0x` hex; empty is 0.
pub fn parse_salt(s: &str) -> R<U256> {
    let t = s.trim();
    if t.is_empty() {
        return Ok(U256::ZERO);
    }
    let r = match t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        Some(h) => U256::from_str_radix(h, 16),
        None => U256::from_str_radix(t, 10),
    };
    r.map_err(|_| Failure::invalid("salt", "salt must be a uint256 (decimal or 0x hex)"))
}

/// A DID argument: `did:peaq:0x...` or a bare `0x...` address.
fn did_address(field: &str, s: &str) -> R<Address> {
    let t = s.trim();
    let bare = t.strip_prefix("did:peaq:").unwrap_or(t);
    addr(field, bare)
}

impl Handlers {
    /// The state for `cfg` and its wallet registry.
    pub fn new(cfg: NodeConfig, registry: Registry) -> Self {
        Self {
            cfg,
            registry: Mutex::new(registry),
            clients: Mutex::new(HashMap::new()),
            reader: Mutex::new(None),
            http: reqwest::Client::builder()
                .timeout(peaqos_sdk::config::DEFAULT_HTTP_TIMEOUT)
                .build()
                .unwrap_or_default(),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &NodeConfig {
        &self.cfg
    }

    fn contracts(&self) -> R<ContractAddresses> {
        self.cfg
            .contract_addresses()
            .map_err(|m| Failure::new(codes::CONFIG_ERROR, "", m))
    }

    fn sdk_config(&self, key: Option<PrivateKey>) -> R<PeaqosConfig> {
        let c = PeaqosConfig::new(self.cfg.rpc_url.clone(), key, self.contracts()?)
            .with_api_url(self.cfg.api_url.clone())
            .with_operational_limits(self.cfg.limits);
        c.validate().map_err(|v| {
            Failure::new(
                codes::CONFIG_ERROR,
                "",
                format!("invalid peaqOS config: {}", v.message),
            )
        })?;
        Ok(c)
    }

    /// `signer` or the defaults: `""` -> `first` default, then `second` (when given).
    fn pick(&self, field: &str, given: &str, first: &str, second: Option<&str>) -> R<Address> {
        let s = [given, first, second.unwrap_or("")]
            .into_iter()
            .map(str::trim)
            .find(|s| !s.is_empty())
            .ok_or_else(|| {
                Failure::invalid(
                    field,
                    format!("{field} is required (no default address configured)"),
                )
            })?;
        addr(field, s)
    }

    fn machine_default(&self, field: &str, given: &str) -> R<Address> {
        self.pick(field, given, &self.cfg.default_machine_address, None)
    }

    fn proxy_default(&self, field: &str, given: &str) -> R<Address> {
        self.pick(
            field,
            given,
            &self.cfg.default_proxy_address,
            Some(&self.cfg.default_machine_address),
        )
    }

    /// The signing client of `address` (a registry wallet), built once and kept.
    async fn signer_client(&self, field: &str, address: Address) -> R<PeaqosClient> {
        if let Some(c) = self.clients.lock().await.get(&address) {
            return Ok(c.clone());
        }
        // Config first: a misconfigured node answers CONFIG_ERROR before touching the vault.
        let base = self.sdk_config(None)?;
        let signer = {
            let reg = self.registry.lock().await;
            match reg.signer(address) {
                Ok(s) => s,
                Err(RegistryError::NotFound(a)) => {
                    return Err(Failure::new(
                        codes::WALLET_NOT_FOUND,
                        field,
                        format!("{field} {a} is not a wallet of the registry"),
                    ));
                }
                Err(e) => return Err(Failure::from(e).on_field(field)),
            }
        };
        let mut config = base;
        config.private_key = Some(PrivateKey::from(&signer));
        let client = PeaqosClient::new(config).map_err(Failure::from)?;
        let mut clients = self.clients.lock().await;
        Ok(clients.entry(address).or_insert(client).clone())
    }

    /// A client for view calls: the signer's when it is a registry wallet, else a key-less one.
    async fn view_client(&self, address: Option<Address>) -> R<PeaqosClient> {
        if let Some(c) = match address {
            Some(a) => self.clients.lock().await.get(&a).cloned(),
            None => None,
        } {
            return Ok(c);
        }
        let mut r = self.reader.lock().await;
        if let Some(c) = r.as_ref() {
            return Ok(c.clone());
        }
        // A random key that never signs anything: the SDK's client wants a signer.
        let (_, key) = PeaqosClient::generate_keypair();
        let c = PeaqosClient::new(self.sdk_config(Some(key))?).map_err(Failure::from)?;
        *r = Some(c.clone());
        Ok(c)
    }

    fn faucet(&self) -> R<GasStationClient> {
        if self.cfg.faucet_base_url.is_empty() {
            return Err(Failure::new(
                codes::CONFIG_ERROR,
                "",
                "missing peaqOS config: faucet_base_url",
            ));
        }
        GasStationClient::new(&self.cfg.faucet_base_url).map_err(|e| {
            Failure::new(
                codes::CONFIG_ERROR,
                "",
                format!("invalid peaqOS config: {e}"),
            )
        })
    }

    // ---- wallets -------------------------------------------------------------------------

    /// wallet/create
    pub async fn wallet_create(
        &self,
        r: PeaqosCreateWalletRequest,
    ) -> R<PeaqosCreateWalletResponse> {
        let reg = self.registry.lock().await;
        let e = reg.create(&r.label)?;
        tracing::info!(address = %e.address, encrypted = e.encrypted(), "wallet created");
        Ok(PeaqosCreateWalletResponse {
            address: e.address,
            ..Default::default()
        })
    }

    /// wallet/list
    pub async fn wallet_list(&self, _: PeaqosListWalletsRequest) -> R<PeaqosListWalletsResponse> {
        let list = self.registry.lock().await.list()?;
        let v = Value::Array(list.iter().map(|e| e.public_json()).collect());
        Ok(PeaqosListWalletsResponse {
            wallets_json: json::sorted(&v),
            ..Default::default()
        })
    }

    /// wallet/get
    pub async fn wallet_get(&self, r: PeaqosGetWalletRequest) -> R<PeaqosGetWalletResponse> {
        let a = addr("address", &r.address)?;
        let e = self
            .registry
            .lock()
            .await
            .get(a)?
            .ok_or(RegistryError::NotFound(a))?;
        Ok(PeaqosGetWalletResponse {
            wallet_json: json::sorted(&e.public_json()),
            ..Default::default()
        })
    }

    /// wallet/delete
    pub async fn wallet_delete(
        &self,
        r: PeaqosDeleteWalletRequest,
    ) -> R<PeaqosDeleteWalletResponse> {
        let a = addr("address", &r.address)?;
        let deleted = self.registry.lock().await.delete(a)?;
        self.clients.lock().await.remove(&a);
        Ok(PeaqosDeleteWalletResponse {
            deleted,
            ..Default::default()
        })
    }

    // ---- Gas Station ---------------------------------------------------------------------

    /// faucet/setup_2fa
    pub async fn setup_2fa(
        &self,
        r: PeaqosSetupFaucet2FARequest,
    ) -> R<PeaqosSetupFaucet2FAResponse> {
        let owner = self.pick(
            "owner_address",
            &r.owner_address,
            &self.cfg.default_owner_address,
            None,
        )?;
        let fmt = if r.qr_format.trim().is_empty() {
            self.cfg.qr_format.clone()
        } else {
            r.qr_format.trim().to_ascii_lowercase()
        };
        let fmt: QrFormat = fmt
            .parse()
            .map_err(|_| Failure::invalid("qr_format", "qr_format must be svg or png"))?;
        let s = self
            .faucet()?
            .setup_faucet_2fa(&owner.to_checksum(None), fmt)
            .await?;
        Ok(PeaqosSetupFaucet2FAResponse {
            owner_address: s.owner_address,
            otpauth_uri: s.otpauth_uri,
            qr_image_url: s.qr_image_url,
            ..Default::default()
        })
    }

    /// faucet/confirm_2fa
    pub async fn confirm_2fa(
        &self,
        r: PeaqosConfirmFaucet2FARequest,
    ) -> R<PeaqosConfirmFaucet2FAResponse> {
        let owner = self.pick(
            "owner_address",
            &r.owner_address,
            &self.cfg.default_owner_address,
            None,
        )?;
        if r.two_factor_code.trim().is_empty() {
            return Err(Failure::invalid(
                "two_factor_code",
                "two_factor_code is required",
            ));
        }
        self.faucet()?
            .confirm_faucet_2fa(&owner.to_checksum(None), r.two_factor_code.trim())
            .await?;
        Ok(PeaqosConfirmFaucet2FAResponse::default())
    }

    /// wallet/fund
    pub async fn fund(&self, r: PeaqosFundWalletRequest) -> R<PeaqosFundWalletResponse> {
        let owner = self.pick(
            "owner_address",
            &r.owner_address,
            &self.cfg.default_owner_address,
            None,
        )?;
        let target = self.machine_default("target_address", &r.target_address)?;
        if r.two_factor_code.trim().is_empty() {
            return Err(Failure::invalid(
                "two_factor_code",
                "two_factor_code is required",
            ));
        }
        let chain_id = Some(r.chain_id.trim().to_string())
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| "peaq".into());
        let request_id = Some(r.request_id.trim().to_string())
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        let params = FundParams {
            owner_address: owner.to_checksum(None),
            target_wallet_address: target.to_checksum(None),
            chain_id,
            two_factor_code: r.two_factor_code.trim().to_string(),
            request_id: Some(request_id),
        };
        let out = self.faucet()?.fund_from_gas_station(&params).await?;
        Ok(match out {
            FundResult::Success {
                request_id,
                tx_hash,
                funded_amount,
            } => PeaqosFundWalletResponse {
                status: "success".into(),
                request_id,
                tx_hash: hash_hex(tx_hash),
                funded_amount: funded_amount.to_string(),
                ..Default::default()
            },
            FundResult::Skipped {
                request_id,
                current_balance,
                min_gas_balance,
            } => PeaqosFundWalletResponse {
                status: "skipped".into(),
                request_id,
                current_balance: current_balance.to_string(),
                min_gas_balance: min_gas_balance.to_string(),
                ..Default::default()
            },
        })
    }

    // ---- identity ------------------------------------------------------------------------

    /// machine/register and agent/register: `address` signs (empty: the default machine).
    pub async fn register(&self, address: &str) -> R<u64> {
        let a = self.machine_default("address", address)?;
        let c = self.signer_client("address", a).await?;
        Ok(c.register_machine().await?)
    }

    /// machine/register_for and agent/register_for.
    pub async fn register_for(&self, r: PeaqosRegisterForRequest) -> R<PeaqosRegisterForResponse> {
        let proxy = self.pick(
            "proxy_address",
            &r.proxy_address,
            &self.cfg.default_proxy_address,
            None,
        )?;
        let machine = self.machine_default("machine_address", &r.machine_address)?;
        let c = self.signer_client("proxy_address", proxy).await?;
        let id = c.register_for(machine).await?;
        Ok(PeaqosRegisterForResponse {
            machine_id: id,
            ..Default::default()
        })
    }

    /// nft/mint
    pub async fn mint(&self, r: PeaqosMintNftRequest) -> R<PeaqosMintNftResponse> {
        let signer = self.proxy_default("signer_address", &r.signer_address)?;
        let id = positive("machine_id", r.machine_id)?;
        let recipient = self.machine_default("recipient", &r.recipient)?;
        let c = self.signer_client("signer_address", signer).await?;
        let tx = c.mint_nft(id, recipient).await?;
        Ok(PeaqosMintNftResponse {
            tx_hash: hash_hex(tx),
            ..Default::default()
        })
    }

    /// nft/token_id_of
    pub async fn token_id_of(&self, r: PeaqosTokenIdOfRequest) -> R<PeaqosTokenIdOfResponse> {
        let signer = if (r.signer_address.trim().is_empty())
            && self.cfg.default_proxy_address.is_empty()
            && self.cfg.default_machine_address.is_empty()
        {
            None
        } else {
            Some(self.proxy_default("signer_address", &r.signer_address)?)
        };
        let id = positive("machine_id", r.machine_id)?;
        let c = self.view_client(signer).await?;
        Ok(PeaqosTokenIdOfResponse {
            token_id: c.token_id_of(id).await?,
            ..Default::default()
        })
    }

    // ---- DID -----------------------------------------------------------------------------

    /// did/read_attribute: `did_address` (empty: the signer, else the default machine).
    pub async fn read_attribute(
        &self,
        r: PeaqosReadDidAttributeRequest,
    ) -> R<PeaqosReadDidAttributeResponse> {
        let signer = if r.signer_address.trim().is_empty() {
            None
        } else {
            Some(addr("signer_address", &r.signer_address)?)
        };
        let did = if r.did_address.trim().is_empty() {
            match signer {
                Some(s) => s,
                None => self.machine_default("did_address", "")?,
            }
        } else {
            did_address("did_address", &r.did_address)?
        };
        if r.name.trim().is_empty() {
            return Err(Failure::invalid("name", "name is required"));
        }
        peaqos_sdk::did::validate_attribute_name(&r.name)
            .map_err(|v| Failure::invalid("name", v.message))?;
        let c = self.view_client(signer).await?;
        let a = c.read_attribute(did, &r.name).await?;
        Ok(PeaqosReadDidAttributeResponse {
            attribute_name: a.name,
            value: a.value,
            validity: u64::from(a.validity),
            created: u64::try_from(a.created).unwrap_or(u64::MAX),
            ..Default::default()
        })
    }

    /// did/write_machine_attributes: signed by the machine (default machine address).
    pub async fn write_machine_attributes(
        &self,
        r: PeaqosWriteMachineDidAttributesRequest,
    ) -> R<PeaqosWriteMachineDidAttributesResponse> {
        let signer = self.machine_default("signer_address", &r.signer_address)?;
        let visibility: DataVisibility =
            r.data_visibility
                .trim()
                .parse()
                .map_err(|v: peaqos_types::ValidationError| {
                    Failure::invalid("data_visibility", v.message)
                })?;
        let p = WriteMachineDidParams {
            machine_id: positive("machine_id", r.machine_id)?,
            nft_token_id: positive("nft_token_id", r.nft_token_id)?,
            operator_did: r.operator_did.trim().to_string(),
            documentation_url: r.documentation_url.trim().to_string(),
            data_api: r.data_api.trim().to_string(),
            data_visibility: visibility,
        };
        peaqos_sdk::did::machine_attributes(&p).map_err(Failure::from)?;
        let c = self.signer_client("signer_address", signer).await?;
        let tx = c.write_machine_did_attributes(&p).await?;
        Ok(PeaqosWriteMachineDidAttributesResponse {
            tx_hash: tx.map(hash_hex).unwrap_or_default(),
            ..Default::default()
        })
    }

    /// did/write_proxy_attributes: signed by the proxy (default proxy, then machine).
    pub async fn write_proxy_attributes(
        &self,
        r: PeaqosWriteProxyDidAttributesRequest,
    ) -> R<PeaqosWriteProxyDidAttributesResponse> {
        let signer = self.proxy_default("signer_address", &r.signer_address)?;
        let p = WriteProxyDidParams {
            proxy_machine_id: positive("proxy_agent_id", r.proxy_agent_id)?,
            machine_ids: r.machine_ids.clone(),
        };
        peaqos_sdk::did::proxy_attributes(&p)
            .map_err(|e| Failure::from(e).on_field("machine_ids"))?;
        let c = self.signer_client("signer_address", signer).await?;
        let tx = c.write_proxy_did_attributes(&p).await?;
        Ok(PeaqosWriteProxyDidAttributesResponse {
            tx_hash: tx.map(hash_hex).unwrap_or_default(),
            ..Default::default()
        })
    }

    // ---- events --------------------------------------------------------------------------

    /// events/validate: the SDK's validation and data hash, no chain access.
    pub async fn validate_event(
        &self,
        r: PeaqosValidateEventRequest,
    ) -> R<PeaqosValidateEventResponse> {
        let p = event_params(
            &EventFields {
                machine_id: r.machine_id,
                event_type: r.event_type,
                value: U256::from(r.value),
                timestamp: r.timestamp,
                raw_data_hex: r.raw_data_hex,
                trust_level: r.trust_level,
                source_chain_id: r.source_chain_id,
                source_tx_hash: r.source_tx_hash,
                metadata_hex: r.metadata_hex,
                currency: None,
            },
            "",
        )?;
        Ok(PeaqosValidateEventResponse {
            data_hash: hash_hex(p.data_hash()),
            ..Default::default()
        })
    }

    /// events/submit
    pub async fn submit_event(&self, r: PeaqosSubmitEventRequest) -> R<PeaqosSubmitEventResponse> {
        let signer = self.machine_default("signer_address", &r.signer_address)?;
        let p = event_params(
            &EventFields {
                machine_id: r.machine_id,
                event_type: r.event_type,
                value: U256::from(r.value),
                timestamp: r.timestamp,
                raw_data_hex: r.raw_data_hex,
                trust_level: r.trust_level,
                source_chain_id: r.source_chain_id,
                source_tx_hash: r.source_tx_hash,
                metadata_hex: r.metadata_hex,
                currency: None,
            },
            "",
        )?;
        let c = self.signer_client("signer_address", signer).await?;
        let (tx, data_hash) = c.submit_event(&p).await?;
        Ok(PeaqosSubmitEventResponse {
            tx_hash: hash_hex(tx),
            data_hash: hash_hex(data_hash),
            ..Default::default()
        })
    }

    /// events/batch_submit
    pub async fn batch_submit(
        &self,
        r: PeaqosBatchSubmitEventsRequest,
    ) -> R<PeaqosBatchSubmitEventsResponse> {
        let signer = self.machine_default("signer_address", &r.signer_address)?;
        let events = parse_events_json(&r.events_json)?;
        let c = self.signer_client("signer_address", signer).await?;
        let hashes = c.batch_submit_events(&events).await?;
        let v = Value::Array(
            hashes
                .into_iter()
                .map(|h| Value::String(hash_hex(h)))
                .collect(),
        );
        Ok(PeaqosBatchSubmitEventsResponse {
            tx_hashes_json: json::sorted(&v),
            ..Default::default()
        })
    }

    // ---- MCR API -------------------------------------------------------------------------

    /// mcr/query, mcr/machine, mcr/operator_machines: the API body unchanged (keys sorted).
    pub async fn query(&self, which: &str, did: &str) -> R<String> {
        let a = did_address("did", did)?;
        let did = format!("did:peaq:{}", a.to_checksum(None));
        peaqos_sdk::mcr::validate_did(&did).map_err(|e| Failure::from(e).on_field("did"))?;
        if self.cfg.api_url.is_empty() {
            return Err(Failure::new(
                codes::CONFIG_ERROR,
                "",
                "missing peaqOS config: api_url",
            ));
        }
        let base = self.cfg.api_url.trim_end_matches('/');
        let url = match which {
            "mcr" => format!("{base}/mcr/{did}"),
            "machine" => format!("{base}/machine/{did}"),
            _ => format!("{base}/operator/{did}/machines"),
        };
        let resp = self.http.get(&url).send().await.map_err(|e| {
            let code = if e.is_timeout() {
                "TIMEOUT"
            } else {
                "NETWORK_ERROR"
            };
            Failure::new(code, "", format!("GET {url}: {e}"))
        })?;
        let status = resp.status().as_u16();
        let body = resp
            .bytes()
            .await
            .map_err(|e| Failure::new("NETWORK_ERROR", "", format!("GET {url}: {e}")))?;
        if !(200..300).contains(&status) {
            let detail = serde_json::from_slice::<Value>(&body)
                .ok()
                .and_then(|v| {
                    v.get("detail")
                        .map(|d| d.as_str().map_or_else(|| d.to_string(), str::to_string))
                })
                .unwrap_or_else(|| {
                    String::from_utf8_lossy(&body[..body.len().min(200)]).into_owned()
                });
            return Err(Failure::new(
                peaqos_sdk::mcr::code_for_status(status).as_str(),
                "",
                format!("MCR API returned {status}: {detail}"),
            ));
        }
        json::sorted_object(&body).map_err(|m| {
            Failure::new(
                codes::BAD_RESPONSE,
                "",
                format!("unexpected MCR API response from {url}: {m}"),
            )
        })
    }

    // ---- smart accounts ------------------------------------------------------------------

    fn sa_args(
        &self,
        signer: &str,
        owner: &str,
        machine: &str,
        salt: &str,
    ) -> R<(Address, Address, Address, U256)> {
        let signer = self.proxy_default("signer_address", signer)?;
        let owner = self.pick(
            "owner",
            owner,
            &self.cfg.default_owner_address,
            Some(&signer.to_checksum(None)),
        )?;
        let machine = self.machine_default("machine", machine)?;
        let salt = parse_salt(salt)?;
        if self
            .cfg
            .contracts
            .get("machine_account_factory")
            .is_none_or(|v| v.is_empty())
        {
            return Err(Failure::new(
                codes::CONFIG_ERROR,
                "",
                "missing peaqOS config: contracts.machine_account_factory",
            ));
        }
        Ok((signer, owner, machine, salt))
    }

    /// smart_account/address
    pub async fn smart_account_address(
        &self,
        r: PeaqosGetSmartAccountAddressRequest,
    ) -> R<PeaqosGetSmartAccountAddressResponse> {
        let (signer, owner, machine, salt) =
            self.sa_args(&r.signer_address, &r.owner, &r.machine, &r.salt)?;
        let c = self.view_client(Some(signer)).await?;
        let a = c.get_smart_account_address(owner, machine, salt).await?;
        Ok(PeaqosGetSmartAccountAddressResponse {
            address: a.to_checksum(None),
            ..Default::default()
        })
    }

    /// smart_account/deploy
    pub async fn smart_account_deploy(
        &self,
        r: PeaqosDeploySmartAccountRequest,
    ) -> R<PeaqosDeploySmartAccountResponse> {
        let (signer, owner, machine, salt) =
            self.sa_args(&r.signer_address, &r.owner, &r.machine, &r.salt)?;
        let c = self.signer_client("signer_address", signer).await?;
        let a = c.deploy_smart_account(owner, machine, salt).await?;
        Ok(PeaqosDeploySmartAccountResponse {
            address: a.to_checksum(None),
            ..Default::default()
        })
    }

    // ---- bridge --------------------------------------------------------------------------

    /// bridge/nft: from peaq the adapter is approved when needed, then quoteSend and send
    /// with the quoted fee (the SDK's `bridge_nft`). Empty options: peaq's default
    /// (executor lzReceive gas 200,000); empty recipient: the signer.
    pub async fn bridge_nft(&self, r: PeaqosBridgeNftRequest) -> R<PeaqosBridgeNftResponse> {
        let signer = self.proxy_default("signer_address", &r.signer_address)?;
        let token_id = positive("token_id", r.token_id)?;
        let source = r.source.trim().to_ascii_lowercase();
        let destination = r.destination.trim().to_ascii_lowercase();
        for (f, v) in [("source", &source), ("destination", &destination)] {
            if !matches!(v.as_str(), "peaq" | "base") {
                return Err(Failure::invalid(f, format!("{f} must be peaq or base")));
            }
        }
        if source == destination {
            return Err(Failure::invalid(
                "destination",
                "destination must differ from source",
            ));
        }
        let recipient = if r.recipient.trim().is_empty() {
            signer
        } else {
            addr("recipient", &r.recipient)?
        };
        let base_nft = if r.base_nft_address.trim().is_empty() {
            None
        } else {
            Some(addr("base_nft_address", &r.base_nft_address)?)
        };
        let options = if r.options_hex.trim().is_empty() {
            hex_bytes("options_hex", DEFAULT_LZ_OPTIONS)?
        } else {
            hex_bytes("options_hex", &r.options_hex)?
        };
        if source == "peaq"
            && self
                .cfg
                .contracts
                .get("machine_nft_adapter")
                .is_none_or(|v| v.is_empty())
        {
            return Err(Failure::new(
                codes::CONFIG_ERROR,
                "",
                "missing peaqOS config: contracts.machine_nft_adapter",
            ));
        }
        let base_rpc = Some(r.base_rpc_url.trim()).filter(|s| !s.is_empty());
        let c = self.signer_client("signer_address", signer).await?;
        let tx = c
            .bridge_nft(
                U256::from(token_id),
                &source,
                &destination,
                recipient,
                base_rpc,
                base_nft,
                &options,
            )
            .await?;
        Ok(PeaqosBridgeNftResponse {
            tx_hash: hash_hex(tx),
            ..Default::default()
        })
    }

    /// bridge/wait_arrival: polls `ownerOf(tokenId)` on the destination (every 10 s) until an
    /// owner exists or the timeout (> 60 s; 0 = 300 s) passes.
    pub async fn bridge_wait(
        &self,
        r: PeaqosWaitForBridgeArrivalRequest,
    ) -> R<PeaqosWaitForBridgeArrivalResponse> {
        if r.dst_rpc_url.trim().is_empty() {
            return Err(Failure::invalid("dst_rpc_url", "dst_rpc_url is required"));
        }
        let nft = addr("dst_nft_address", &r.dst_nft_address)?;
        let token_id = positive("token_id", r.token_id)?;
        let timeout = match r.timeout {
            0 => peaqos_sdk::bridge::DEFAULT_ARRIVAL_TIMEOUT,
            t if t <= 60 => {
                return Err(Failure::invalid(
                    "timeout",
                    "timeout must be greater than 60 seconds (0 = 300)",
                ));
            }
            t => std::time::Duration::from_secs(t),
        };
        let arrived = peaqos_sdk::bridge::wait_for_bridge_arrival(
            r.dst_rpc_url.trim(),
            nft,
            U256::from(token_id),
            timeout,
        )
        .await?;
        Ok(PeaqosWaitForBridgeArrivalResponse {
            arrived,
            ..Default::default()
        })
    }
}

/// peaq's default LayerZero options: executor lzReceive gas 200,000.
pub const DEFAULT_LZ_OPTIONS: &str = "0x00030100110100000000000000000000000000030d40";

/// Turns a handler's result into its response: `Ok` gets `success=true`, `Err` the failure.
pub fn respond<T: Outcome>(r: R<T>) -> T {
    match r {
        Ok(v) => v.succeeded(),
        Err(f) => f.respond(),
    }
}

/// A shared handle.
pub type Shared = Arc<Handlers>;
