#!/usr/bin/env node
// Compiles contracts/src/**/*.sol with the pinned solc-js (standard JSON) and writes hardhat-style artifacts
// to contracts/out/<Name>.json. `node build.mjs --check` compiles into memory and exits 1 when the committed
// out/ differs (CI freshness check). No dependencies beyond the pinned npm packages.
import { readFileSync, writeFileSync, readdirSync, mkdirSync, existsSync, unlinkSync, statSync } from "node:fs";
import { dirname, join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const solc = require("solc");

const ROOT = dirname(fileURLToPath(import.meta.url));
const SRC = join(ROOT, "src");
const OUT = join(ROOT, "out");
const NODE_MODULES = join(ROOT, "node_modules");

const PROXY_SOURCE = "@openzeppelin/contracts/proxy/ERC1967/ERC1967Proxy.sol";

// Artifact name -> source unit that defines it. Only these are written to out/.
const ARTIFACTS = {
  IdentityRegistry: "src/IdentityRegistry.sol",
  IdentityStaking: "src/IdentityStaking.sol",
  EventRegistry: "src/EventRegistry.sol",
  MachineNFT: "src/MachineNFT.sol",
  AdminFlags: "src/AdminFlags.sol",
  ERC1967Proxy: PROXY_SOURCE,
  IdentityRegistryV2: "src/test/IdentityRegistryV2.sol",
  MachineAccountFactory: "src/aa/MachineAccountFactory.sol",
  MachineSmartAccount: "src/aa/MachineSmartAccount.sol",
  UpgradeableBeacon: "@openzeppelin/contracts/proxy/beacon/UpgradeableBeacon.sol",
  MachineNFTAdapter: "src/bridge/MachineNFTAdapter.sol",
  MachineNFTBase: "src/bridge/MachineNFTBase.sol",
  LocalDVN: "src/bridge/LocalDVN.sol",
  LocalExecutor: "src/bridge/LocalExecutor.sol",
};

// Selectors other code depends on; the build fails if any differs.
const REQUIRED_SELECTORS = {
  EventRegistry: {
    "submitEvent(uint256,uint8,uint256,string,uint256,bytes32,uint8,uint256,bytes32,bytes)": "e58a43ca",
  },
};

const EIP170_LIMIT = 24576;

// Third-party contracts deployed byte-exact from the bytecode their npm package ships (never recompiled):
// out/<Name>.json = that artifact's ABI and bytecode. EntryPoint v0.6 must reproduce its canonical address
// 0x5FF137D4b0FDCD49DcA30c7CF57E578a026d2789 through the deterministic deployment proxy, which only the shipped
// init code does (the Rust tests check the address).
const SHIPPED = {
  EntryPointV06: { pkg: "@account-abstraction/contracts", version: "0.6.0", artifact: "artifacts/EntryPoint.json" },
};

function fail(msg) {
  process.stderr.write(`build.mjs: ${msg}\n`);
  process.exit(1);
}

function listSol(dir) {
  const found = [];
  for (const name of readdirSync(dir).sort()) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) found.push(...listSol(full));
    else if (name.endsWith(".sol")) found.push(full);
  }
  return found;
}

function toPosix(p) {
  return p.split(sep).join("/");
}

function checkSolcVersion() {
  const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));
  const pinned = pkg.dependencies?.solc;
  const actual = solc.version(); // e.g. "0.8.28+commit.7893614a.Emscripten.clang"
  if (!pinned || !actual.startsWith(`${pinned}+`)) {
    fail(`solc ${actual} is loaded but package.json pins ${pinned}; run \`npm ci\``);
  }
  return actual;
}

// npm scopes whose sources may be imported. `@layerzerolabs/lz-evm-protocol-v2` and `lz-evm-messagelib-v2` are
// LZBL-1.2: the ONFT sources import their interfaces at compile time only; none of their bytecode is written to out/
// (the devnets deploy EndpointV2 and the message library from node_modules at run time, see docs/BRIDGE.md).
const IMPORT_SCOPES = ["@openzeppelin/", "@layerzerolabs/"];

function findImports(path) {
  if (IMPORT_SCOPES.some((scope) => path.startsWith(scope))) {
    const file = join(NODE_MODULES, path);
    if (existsSync(file)) return { contents: readFileSync(file, "utf8") };
    return { error: `not found: ${path} (run \`npm ci\`)` };
  }
  const file = join(ROOT, path);
  if (path.startsWith("src/") && existsSync(file)) return { contents: readFileSync(file, "utf8") };
  return { error: `not found: ${path}` };
}

function compile() {
  const sources = {};
  for (const file of listSol(SRC)) {
    sources[toPosix(relative(ROOT, file))] = { content: readFileSync(file, "utf8") };
  }
  const proxy = findImports(PROXY_SOURCE);
  if (proxy.error) fail(proxy.error);
  sources[PROXY_SOURCE] = { content: proxy.contents };

  const input = {
    language: "Solidity",
    sources,
    settings: {
      evmVersion: "paris",
      optimizer: { enabled: true, runs: 100000 },
      viaIR: true,
      metadata: { bytecodeHash: "none", appendCBOR: true },
      outputSelection: {
        "*": { "*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object", "evm.methodIdentifiers"] },
      },
    },
  };

  const output = JSON.parse(solc.compile(JSON.stringify(input), { import: findImports }));
  const diagnostics = output.errors ?? [];
  const errors = diagnostics.filter((d) => d.severity === "error");
  for (const d of diagnostics.filter((d) => d.severity !== "error")) {
    process.stderr.write(`${d.formattedMessage ?? d.message}\n`);
  }
  if (errors.length > 0) {
    for (const d of errors) process.stderr.write(`${d.formattedMessage ?? d.message}\n`);
    fail(`compilation failed with ${errors.length} error(s)`);
  }
  return output;
}

function artifacts(output) {
  const files = new Map();
  for (const [name, source] of Object.entries(ARTIFACTS)) {
    const c = output.contracts?.[source]?.[name];
    if (!c) fail(`contract ${name} not found in ${source}`);
    const bytecode = c.evm.bytecode.object;
    const deployed = c.evm.deployedBytecode.object;
    if (!bytecode || !deployed) fail(`${name} has no bytecode (abstract?)`);
    if (deployed.length / 2 > EIP170_LIMIT) fail(`${name} runtime is ${deployed.length / 2} bytes > EIP-170 limit`);
    for (const [sig, sel] of Object.entries(REQUIRED_SELECTORS[name] ?? {})) {
      const got = c.evm.methodIdentifiers?.[sig];
      if (got !== sel) fail(`${name}.${sig} selector is 0x${got} but must be 0x${sel}`);
    }
    const artifact = { contractName: name, abi: c.abi, bytecode: `0x${bytecode}`, deployedBytecode: `0x${deployed}` };
    files.set(`${name}.json`, `${JSON.stringify(artifact, null, 2)}\n`);
  }
  for (const [name, { pkg, version, artifact }] of Object.entries(SHIPPED)) {
    const dir = join(NODE_MODULES, pkg);
    const installed = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")).version;
    if (installed !== version) fail(`${pkg} ${installed} is installed but ${version} is pinned; run \`npm ci\``);
    const a = JSON.parse(readFileSync(join(dir, artifact), "utf8"));
    // The ABI's `internalType` of file-level structs ("struct UserOperation") is scoped to the contract
    // ("struct EntryPointV06.UserOperation") so that Rust's sol! can name them; types and bytecode are untouched.
    const abi = JSON.parse(
      JSON.stringify(a.abi).replace(/"internalType":"struct (?![A-Za-z0-9_]+\.)([A-Za-z0-9_]+)/g, `"internalType":"struct ${name}.$1`),
    );
    const shipped = {
      contractName: name,
      source: `${pkg}@${version} ${artifact}`,
      abi,
      bytecode: a.bytecode,
      deployedBytecode: a.deployedBytecode,
    };
    files.set(`${name}.json`, `${JSON.stringify(shipped, null, 2)}\n`);
  }
  return files;
}

function main() {
  const check = process.argv.includes("--check");
  const version = checkSolcVersion();
  const files = artifacts(compile());

  const existing = existsSync(OUT) ? readdirSync(OUT).filter((f) => f.endsWith(".json")).sort() : [];
  const stale = existing.filter((f) => !files.has(f));

  if (check) {
    const differing = [];
    for (const [file, content] of files) {
      const path = join(OUT, file);
      if (!existsSync(path)) differing.push(`${file} (missing)`);
      else if (readFileSync(path, "utf8") !== content) differing.push(`${file} (differs)`);
    }
    for (const f of stale) differing.push(`${f} (stale, no such artifact)`);
    if (differing.length > 0) {
      process.stderr.write(`contracts/out is out of date; run \`npm run build\` in contracts/:\n`);
      for (const d of differing) process.stderr.write(`  out/${d}\n`);
      process.exit(1);
    }
    process.stdout.write(`contracts/out is up to date (${files.size} artifacts, solc ${version})\n`);
    return;
  }

  mkdirSync(OUT, { recursive: true });
  for (const f of stale) unlinkSync(join(OUT, f));
  for (const [file, content] of files) {
    const path = join(OUT, file);
    if (!existsSync(path) || readFileSync(path, "utf8") !== content) writeFileSync(path, content);
    const a = JSON.parse(content);
    process.stdout.write(`${file.padEnd(26)} runtime ${String((a.deployedBytecode.length - 2) / 2).padStart(6)} bytes\n`);
  }
  process.stdout.write(`wrote ${files.size} artifacts to contracts/out (solc ${version})\n`);
}

main();
