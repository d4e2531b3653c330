/**
 * The seed's usage, verbatim, through the package entry. Run by seed.test.ts as a child process
 * inside a private host netns, with QUANTUM_* pointing CniConfig.default() at temp directories:
 *   node seed-usage.js setup     create the network, generate and install its conflist
 *   node seed-usage.js teardown  uninstall the conflist, delete the network
 */
import { tmpdir } from "node:os";
import { CniConfig, CniManager, IsolationLevel, NetworkDriverType } from "../../src/index.js";

const phase = process.argv[2];
// Never run against the production paths.
for (const v of ["QUANTUM_CONFIG_DIR", "QUANTUM_DATA_DIR", "QUANTUM_SOCKET"]) {
  if (!process.env[v]?.startsWith(`${tmpdir()}/`)) throw new Error(`${v} must point into ${tmpdir()}`);
}

const cniConfig = CniConfig.default();
const cniManager = new CniManager(cniConfig);
await cniManager.init();
const vnetManager = cniManager.networks;

if (phase === "setup") {
  const network = await vnetManager.createNetwork(
    "my-network",
    "172.17.0.0/16",
    "172.17.0.1",
    NetworkDriverType.Bridge,
    IsolationLevel.None,
  );
  const conf = cniManager.generateNetworkConfig(network);
  const path = await cniManager.installNetworkConfig(conf);
  process.stdout.write(`${JSON.stringify({ network, path })}\n`);
} else if (phase === "teardown") {
  await cniManager.uninstallNetworkConfig("my-network");
  const result = await vnetManager.deleteNetwork("my-network");
  process.stdout.write(`${JSON.stringify(result)}\n`);
} else {
  throw new Error(`unknown phase ${JSON.stringify(phase)}`);
}
cniManager.close();
