//! `peaqos account address|deploy|call|status`: machine smart accounts (ERC-4337 v0.6) of the
//! configured MachineAccountFactory, operated through a bundler (see docs/AA.md).

use crate::ui::{Ui, peaq};
use crate::{CliError, env};
use alloy::primitives::{Address, B256, Bytes, U256};
use alloy::providers::Provider;
use alloy::signers::Either;
use alloy::signers::local::PrivateKeySigner;
use alloy::sol_types::SolCall;
use clap::{Args, Subcommand};
use peaqos_contracts::{MachineSmartAccount, UpgradeableBeacon};
use peaqos_sdk::aa::{BundlerClient, PEAQOS_BUNDLER_URL, SmartAccount};
use peaqos_sdk::{PeaqosClient, TxCall};
use peaqos_types::constants::ENTRY_POINT_V06;
use serde_json::json;

/// ERC-1967 beacon slot of a BeaconProxy: `bytes32(uint256(keccak256("eip1967.proxy.beacon")) - 1)`.
const BEACON_SLOT: B256 =
    alloy::primitives::b256!("a3f0ad74e5423aebfd80d3ef4346578335a9a72aeaee59ff6cb3582b35133d50");

/// `peaqos account ...`.
#[derive(Debug, Subcommand)]
pub enum AccountCommand {
    /// The smart account address of (owner, machine, salt), deployed or not.
    Address(WhichArgs),
    /// Deploy the smart account (createAccount; the configured key pays). Nothing to do when it
    /// exists.
    Deploy(WhichArgs),
    /// Run a call from the smart account through the bundler: a UserOperation signed by the
    /// configured key (the account's owner or machine), deploying the account with its first
    /// operation.
    Call(CallArgs),
    /// The account's state: deployed, owner, machine, balance, EntryPoint deposit, nonce,
    /// implementation.
    Status(StatusArgs),
}

/// Which account: (owner, machine, salt).
#[derive(Debug, Args)]
pub struct WhichArgs {
    /// The owner [default: the configured address].
    #[arg(long)]
    pub owner: Option<Address>,
    /// The machine key's address.
    #[arg(long)]
    pub machine: Address,
    /// The CREATE2 salt.
    #[arg(long, default_value_t = U256::ZERO)]
    pub salt: U256,
    /// One JSON object on stdout.
    #[arg(long)]
    pub json: bool,
}

/// `account status`.
#[derive(Debug, Args)]
pub struct StatusArgs {
    /// The account's address (instead of --owner/--machine/--salt).
    #[arg(long, conflicts_with_all = ["owner", "machine", "salt"])]
    pub account: Option<Address>,
    /// The owner [default: the configured address].
    #[arg(long)]
    pub owner: Option<Address>,
    /// The machine key's address.
    #[arg(long, required_unless_present = "account")]
    pub machine: Option<Address>,
    /// The CREATE2 salt.
    #[arg(long)]
    pub salt: Option<U256>,
    /// One JSON object on stdout.
    #[arg(long)]
    pub json: bool,
}

/// `account call`.
#[derive(Debug, Args)]
pub struct CallArgs {
    /// A deployed account's address (instead of --owner/--machine/--salt).
    #[arg(long, conflicts_with_all = ["owner", "machine", "salt"])]
    pub account: Option<Address>,
    /// The owner [default: the configured address].
    #[arg(long)]
    pub owner: Option<Address>,
    /// The machine key's address [default: the configured address].
    #[arg(long)]
    pub machine: Option<Address>,
    /// The CREATE2 salt.
    #[arg(long)]
    pub salt: Option<U256>,
    /// The call's target.
    #[arg(long)]
    pub to: Address,
    /// The call data (0x hex).
    #[arg(long, default_value = "0x")]
    pub data: Bytes,
    /// Value in wei, from the account's balance.
    #[arg(long, default_value_t = U256::ZERO)]
    pub value: U256,
    /// The bundler's URL.
    #[arg(long, env = PEAQOS_BUNDLER_URL, default_value = peaqos_sdk::aa::DEFAULT_BUNDLER_URL)]
    pub bundler: String,
    /// The nonce key (operations of different keys are independent).
    #[arg(long, default_value_t = U256::ZERO)]
    pub nonce_key: U256,
    /// One JSON object on stdout.
    #[arg(long)]
    pub json: bool,
}

/// Runs an `account` subcommand on the process environment.
pub async fn run(cmd: AccountCommand, ui: &Ui) -> Result<(), CliError> {
    let client = env::client()?;
    match cmd {
        AccountCommand::Address(a) => address(&client, a).await,
        AccountCommand::Deploy(a) => deploy(&client, a, ui).await,
        AccountCommand::Call(a) => call(&client, a, ui).await,
        AccountCommand::Status(a) => status(&client, a).await,
    }
}

async fn has_code(client: &PeaqosClient, a: Address) -> Result<bool, CliError> {
    let code = client
        .provider()
        .get_code_at(a)
        .await
        .map_err(crate::error::rpc("eth_getCode"))?;
    Ok(!code.is_empty())
}

async fn address(client: &PeaqosClient, a: WhichArgs) -> Result<(), CliError> {
    let owner = a.owner.unwrap_or(client.address());
    let account = client
        .get_smart_account_address(owner, a.machine, a.salt)
        .await?;
    let deployed = has_code(client, account).await?;
    if a.json {
        return crate::outln!(
            "{}",
            json!({"account": account, "owner": owner, "machine": a.machine, "salt": a.salt.to_string(), "deployed": deployed})
        );
    }
    crate::outln!("{account}")
}

async fn deploy(client: &PeaqosClient, a: WhichArgs, ui: &Ui) -> Result<(), CliError> {
    let owner = a.owner.unwrap_or(client.address());
    let account = client
        .get_smart_account_address(owner, a.machine, a.salt)
        .await?;
    let created = if has_code(client, account).await? {
        ui.info(format!("{account} is deployed already"));
        false
    } else {
        let got = ui
            .spin(
                "createAccount",
                client.deploy_smart_account(owner, a.machine, a.salt),
            )
            .await?;
        debug_assert_eq!(got, account);
        true
    };
    if a.json {
        return crate::outln!(
            "{}",
            json!({"account": account, "owner": owner, "machine": a.machine, "salt": a.salt.to_string(), "created": created})
        );
    }
    crate::outln!("{account}")
}

/// The signer of the environment: the OWS vault wallet of `PEAQOS_OWS_WALLET` when set, else
/// `PEAQOS_PRIVATE_KEY`.
fn signer(
    client: &PeaqosClient,
) -> Result<Either<peaqos_wallet::VaultSigner, PrivateKeySigner>, CliError> {
    use peaqos_types::network::env as vars;
    if let Some(name) = &client.config().ows_wallet {
        let vault = peaqos_wallet::Vault::resolve(&env::var);
        let s = peaqos_wallet::VaultSigner::open(
            name,
            env::var(vars::OWS_PASSPHRASE).as_deref(),
            &vault,
        )
        .map_err(|e| {
            crate::error::from_wallet(e).context(&format!("{} {name}", vars::PEAQOS_OWS_WALLET))
        })?;
        return Ok(Either::Left(s));
    }
    let key = client.config().private_key.as_ref().ok_or_else(|| {
        CliError::config(format!(
            "configuration: set {} or {} to sign UserOperations",
            vars::PEAQOS_PRIVATE_KEY,
            vars::PEAQOS_OWS_WALLET
        ))
    })?;
    Ok(Either::Right(key.signer()))
}

/// An SDK error of the bundler path: a JSON-RPC error without a documented code shows the
/// bundler's code (`[RPC -32507] ...`).
fn from_sdk(e: peaqos_sdk::PeaqosError) -> CliError {
    match &e {
        peaqos_sdk::PeaqosError::Rpc {
            code: None,
            rpc_code: Some(c),
            message,
            ..
        } => CliError::network(format!("[RPC {c}] {message}")),
        _ => CliError::from(e),
    }
}

async fn call(client: &PeaqosClient, a: CallArgs, ui: &Ui) -> Result<(), CliError> {
    let bundler = BundlerClient::new(&a.bundler)
        .map_err(|e| CliError::config(format!("configuration: --bundler: {e}")))?;
    let signer = signer(client)?;
    let account = match a.account {
        Some(addr) => SmartAccount::at(client, bundler, addr, signer).await?,
        None => {
            SmartAccount::new(
                client,
                bundler,
                a.owner.unwrap_or(client.address()),
                a.machine.unwrap_or(client.address()),
                a.salt.unwrap_or_default(),
                signer,
            )
            .await?
        }
    };
    let calls = [TxCall {
        to: a.to,
        data: a.data,
        value: a.value,
    }];
    let op = ui
        .spin(
            "building the UserOperation",
            account
                .user_operation()
                .nonce_key(a.nonce_key)
                .calls(&calls)?
                .build_signed(),
        )
        .await
        .map_err(from_sdk)?;
    let hash = account.send_user_operation(&op).await.map_err(from_sdk)?;
    ui.detail(format!("userOpHash {hash}"));
    let r = ui
        .spin(
            "waiting for the bundle",
            account.wait_for_user_operation_receipt(hash),
        )
        .await
        .map_err(from_sdk)?;
    if a.json {
        crate::outln!(
            "{}",
            json!({
                "account": account.address(),
                "userOpHash": hash,
                "transactionHash": r.receipt.transaction_hash,
                "success": r.success,
                "actualGasUsed": r.actual_gas_used.to_string(),
                "actualGasCost": r.actual_gas_cost.to_string(),
                "reason": r.reason,
            })
        )?;
    } else {
        crate::outln!("userOpHash      {hash}")?;
        crate::outln!("transaction     {}", r.receipt.transaction_hash)?;
        crate::outln!("success         {}", r.success)?;
        crate::outln!("gas used        {}", r.actual_gas_used)?;
        crate::outln!("cost            {}", peaq(r.actual_gas_cost))?;
    }
    if !r.success {
        let data = r.reason.unwrap_or_default();
        return Err(CliError::network(format!(
            "[TX_REVERTED] the UserOperation was included but its call reverted: {}",
            peaqos_aa::describe_revert(&data)
        )));
    }
    Ok(())
}

async fn status(client: &PeaqosClient, a: StatusArgs) -> Result<(), CliError> {
    let account = match a.account {
        Some(addr) => addr,
        None => {
            let machine = a
                .machine
                .ok_or_else(|| CliError::user("--machine or --account is required"))?;
            client
                .get_smart_account_address(
                    a.owner.unwrap_or(client.address()),
                    machine,
                    a.salt.unwrap_or_default(),
                )
                .await?
        }
    };
    let p = client.provider();
    let deployed = has_code(client, account).await?;
    let balance = client.balance(account).await?;
    let view = |data: Vec<u8>, to: Address| {
        let client = client.clone();
        async move { client.simulate(to, data.into(), U256::ZERO).await }
    };
    let ep = peaqos_contracts::EntryPointV06::new(ENTRY_POINT_V06, p);
    let deposit = ep
        .balanceOf(account)
        .call()
        .await
        .map_err(crate::error::rpc("EntryPoint.balanceOf"))?;
    let nonce = ep
        .getNonce(account, Default::default())
        .call()
        .await
        .map_err(crate::error::rpc("EntryPoint.getNonce"))?;
    let (mut owner, mut machine, mut beacon, mut implementation) = (None, None, None, None);
    if deployed {
        let o = view(MachineSmartAccount::ownerCall {}.abi_encode(), account).await?;
        owner = MachineSmartAccount::ownerCall::abi_decode_returns(&o).ok();
        let m = view(MachineSmartAccount::machineCall {}.abi_encode(), account).await?;
        machine = MachineSmartAccount::machineCall::abi_decode_returns(&m).ok();
        let slot = p
            .get_storage_at(account, BEACON_SLOT.into())
            .await
            .map_err(crate::error::rpc("eth_getStorageAt"))?;
        let b = Address::from_word(slot.into());
        if b != Address::ZERO {
            beacon = Some(b);
            implementation = UpgradeableBeacon::new(b, p)
                .implementation()
                .call()
                .await
                .ok();
        }
    }
    if a.json {
        return crate::outln!(
            "{}",
            json!({
                "account": account,
                "deployed": deployed,
                "owner": owner,
                "machine": machine,
                "balanceWei": balance.to_string(),
                "depositWei": deposit.to_string(),
                "nonce": nonce.to_string(),
                "entryPoint": ENTRY_POINT_V06,
                "beacon": beacon,
                "implementation": implementation,
            })
        );
    }
    let opt = |a: Option<Address>| a.map_or("-".to_string(), |a| a.to_string());
    crate::outln!("Account          {account}")?;
    crate::outln!(
        "Deployed         {}",
        if deployed {
            "yes"
        } else {
            "no (the first UserOperation deploys it)"
        }
    )?;
    crate::outln!("Owner            {}", opt(owner))?;
    crate::outln!("Machine          {}", opt(machine))?;
    crate::outln!("Balance          {}", peaq(balance))?;
    crate::outln!("EntryPoint dep.  {}", peaq(deposit))?;
    crate::outln!("Nonce (key 0)    {nonce}")?;
    crate::outln!("Implementation   {}", opt(implementation))?;
    Ok(())
}
