// Compile tests/evm/contracts/*.sol with the pinned solc JS module and write tests/evm/artifacts/<Name>.json.
// Usage: node compile.mjs          (write artifacts)
//        node compile.mjs --check  (exit 1 if any artifact is missing, stale or extra)
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const require = createRequire(import.meta.url);
const solc = require("solc");

const HERE = dirname(fileURLToPath(import.meta.url));
const CONTRACTS = join(HERE, "contracts");
const ARTIFACTS = join(HERE, "artifacts");
const NODE_MODULES = join(HERE, "node_modules");
const check = process.argv.includes("--check");

const sources = {};
for (const f of readdirSync(CONTRACTS).filter((n) => n.endsWith(".sol")).sort()) {
  sources[`contracts/${f}`] = { content: readFileSync(join(CONTRACTS, f), "utf8") };
}

function findImports(path) {
  try {
    if (path.startsWith("@openzeppelin/")) {
      return { contents: readFileSync(join(NODE_MODULES, path), "utf8") };
    }
    if (path.startsWith("contracts/")) {
      return { contents: readFileSync(resolve(HERE, path), "utf8") };
    }
    return { error: `not found: ${path}` };
  } catch (e) {
    return { error: String(e) };
  }
}

const input = {
  language: "Solidity",
  sources,
  settings: {
    optimizer: { enabled: true, runs: 200 },
    evmVersion: "cancun",
    outputSelection: { "*": { "*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object", "metadata"] } },
  },
};

const output = JSON.parse(solc.compile(JSON.stringify(input), { import: findImports }));
const errors = (output.errors || []).filter((e) => e.severity === "error");
for (const e of output.errors || []) console.error(e.formattedMessage);
if (errors.length) process.exit(1);

// Stable JSON: recursively sorted keys, 2-space indent, trailing newline.
function sortKeys(v) {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === "object") {
    return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortKeys(v[k])]));
  }
  return v;
}

const expected = {};
for (const file of Object.keys(sources)) {
  for (const [name, c] of Object.entries(output.contracts[file] || {})) {
    const meta = JSON.parse(c.metadata);
    // sha256 over the sorted (path, content) of every source file this contract was built from.
    const h = createHash("sha256");
    for (const p of Object.keys(meta.sources).sort()) {
      const content = sources[p] ? sources[p].content : findImports(p).contents;
      h.update(p + "\0" + content + "\0");
    }
    const artifact = {
      contractName: name,
      abi: c.abi,
      bytecode: "0x" + c.evm.bytecode.object,
      deployedBytecode: "0x" + c.evm.deployedBytecode.object,
      sourceHash: "0x" + h.digest("hex"),
    };
    expected[`${name}.json`] = JSON.stringify(sortKeys(artifact), null, 2) + "\n";
  }
}

if (check) {
  let stale = 0;
  for (const [f, text] of Object.entries(expected)) {
    const p = join(ARTIFACTS, f);
    if (!existsSync(p) || readFileSync(p, "utf8") !== text) {
      console.error(`stale or missing artifact: artifacts/${f}`);
      stale++;
    }
  }
  if (existsSync(ARTIFACTS)) {
    for (const f of readdirSync(ARTIFACTS).filter((n) => n.endsWith(".json"))) {
      if (!(f in expected)) {
        console.error(`artifact without source: artifacts/${f}`);
        stale++;
      }
    }
  }
  if (stale) process.exit(1);
  console.log(`${Object.keys(expected).length} artifacts up to date`);
} else {
  mkdirSync(ARTIFACTS, { recursive: true });
  for (const [f, text] of Object.entries(expected)) writeFileSync(join(ARTIFACTS, f), text);
  console.log(`wrote ${Object.keys(expected).length} artifacts: ${Object.keys(expected).join(", ")}`);
}
