// Compiles BasicPayments.sol with the pinned solcjs and prints {abi, bytecode, compiler, evmVersion}
// as JSON on stdout. `node compile.js > build/BasicPayments.json` refreshes the committed artifact.
"use strict";
const fs = require("fs");
const path = require("path");
const solc = require("solc");

const EVM_VERSION = "cancun";
const source = fs.readFileSync(path.join(__dirname, "BasicPayments.sol"), "utf8");
const input = {
  language: "Solidity",
  sources: { "BasicPayments.sol": { content: source } },
  settings: {
    evmVersion: EVM_VERSION,
    optimizer: { enabled: true, runs: 200 },
    metadata: { bytecodeHash: "none" },
    outputSelection: { "*": { BasicPayments: ["abi", "evm.bytecode.object"] } },
  },
};
const output = JSON.parse(solc.compile(JSON.stringify(input)));
const errors = (output.errors || []).filter((e) => e.severity === "error");
if (errors.length) {
  for (const e of errors) process.stderr.write(e.formattedMessage + "\n");
  process.exit(1);
}
const contract = output.contracts["BasicPayments.sol"].BasicPayments;
const artifact = {
  contractName: "BasicPayments",
  compiler: `solc ${solc.version()}`,
  evmVersion: EVM_VERSION,
  abi: contract.abi,
  bytecode: "0x" + contract.evm.bytecode.object,
};
process.stdout.write(JSON.stringify(artifact, null, 2) + "\n");
