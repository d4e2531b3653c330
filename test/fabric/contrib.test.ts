// contrib/ for fabric mode: the Kubernetes manifest (JSON, which kubectl takes as is: `yaml` is not
// a dependency here) and the systemd units are checked against what the code really accepts.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { parseConfList, parsePluginConfig } from "../../src/cni/index.js";
import { parseQuantumConfig } from "../../src/manager/index.js";
import { etcdBin } from "./etcd.js";

const repo = fileURLToPath(new URL("../../../", import.meta.url));
const read = (p: string) => readFileSync(`${repo}${p}`, "utf8");

interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
  data?: Record<string, string>;
  spec?: {
    template: {
      spec: {
        hostNetwork?: boolean;
        initContainers: Container[];
        containers: Container[];
        volumes: { name: string; hostPath?: { path: string }; configMap?: { name: string } }[];
      };
    };
  };
}
interface Container {
  name: string;
  command: string[];
  env?: {
    name: string;
    valueFrom?: { fieldRef?: { fieldPath: string }; configMapKeyRef?: { name: string; key: string } };
  }[];
  securityContext?: { privileged?: boolean };
  volumeMounts: { name: string; mountPath: string }[];
}

/** Long options quantumd's --help lists. */
function quantumdFlags(): Set<string> {
  const help = execFileSync(process.execPath, [`${repo}dist/src/cli/quantumd.js`, "--help"], { encoding: "utf8" });
  return new Set([...help.matchAll(/--([a-z][a-z-]+)/g)].map((m) => m[1] ?? ""));
}

function flagsOf(args: string[]): string[] {
  return args.filter((a) => a.startsWith("--")).map((a) => a.slice(2).split("=")[0] ?? "");
}

describe("contrib: fabric mode", () => {
  const list = JSON.parse(read("contrib/kubernetes/quantum-fabric.json")) as { kind: string; items: K8sObject[] };
  const byKind = (k: string) => list.items.find((o) => o.kind === k);

  it("the DaemonSet runs quantumd on the host network, privileged, with the host mounts it needs", () => {
    assert.equal(list.kind, "List");
    const ds = byKind("DaemonSet");
    assert.ok(ds?.spec, "a DaemonSet");
    const pod = ds.spec.template.spec;
    assert.equal(pod.hostNetwork, true);
    const [main] = pod.containers;
    assert.ok(main);
    assert.equal(main.securityContext?.privileged, true);
    const volumes = new Map(pod.volumes.map((v) => [v.name, v]));
    for (const c of [...pod.containers, ...pod.initContainers]) {
      for (const m of c.volumeMounts) assert.ok(volumes.has(m.name), `${c.name} mounts unknown volume ${m.name}`);
    }
    const hostPaths = pod.volumes.map((v) => v.hostPath?.path).filter(Boolean);
    for (const p of ["/opt/cni/bin", "/etc/cni/net.d", "/var/lib/quantum", "/run/quantum", "/var/run/netns"]) {
      assert.ok(hostPaths.includes(p), `host path ${p} is mounted`);
    }
    const env = new Map((main.env ?? []).map((e) => [e.name, e.valueFrom]));
    assert.equal(env.get("NODE_NAME")?.fieldRef?.fieldPath, "spec.nodeName");
    assert.equal(env.get("NODE_IP")?.fieldRef?.fieldPath, "status.hostIP");
    const cmRef = env.get("QUANTUM_ETCD_ENDPOINTS")?.configMapKeyRef;
    const cm = byKind("ConfigMap");
    assert.ok(cmRef && cm?.data?.[cmRef.key], "QUANTUM_ETCD_ENDPOINTS comes from a ConfigMap key that exists");
    assert.equal(cm.metadata.name, cmRef.name);
  });

  it("quantumd's command line uses only flags quantumd accepts", () => {
    const known = quantumdFlags();
    const main = byKind("DaemonSet")?.spec?.template.spec.containers[0];
    assert.ok(main);
    for (const f of flagsOf(main.command)) assert.ok(known.has(f), `quantumd has no --${f}`);
    assert.ok(main.command.includes("--node-name") && main.command.includes("--public-ip"));
  });

  it("the conflist it installs parses: driver overlay, no subnet, a valid chain", () => {
    const cm = byKind("ConfigMap");
    const text = cm?.data?.["10-quantum.conflist"];
    assert.ok(text);
    const list2 = parseConfList(text);
    const quantum = list2.plugins.find((p) => p.type === "quantum");
    assert.ok(quantum);
    const conf = parseQuantumConfig(parsePluginConfig({ ...quantum, cniVersion: list2.cniVersion, name: list2.name }));
    assert.equal(conf.spec.driver, "overlay");
    assert.deepEqual(conf.spec.subnets, []);
    const init = byKind("DaemonSet")?.spec?.template.spec.initContainers[0];
    assert.match(init?.command.join(" ") ?? "", /10-quantum\.conflist/);
  });

  it("the systemd units use only flags quantumd and etcd accept", () => {
    const known = quantumdFlags();
    const unit = read("contrib/quantumd-fabric.service");
    // Continuation lines joined first, then the one ExecStart line.
    const exec = /^ExecStart=(.*)$/m.exec(unit.replace(/\\\n/g, " "))?.[1] ?? "";
    const args = exec.split(/\s+/);
    assert.ok(args[0]?.endsWith("/quantumd"));
    for (const f of flagsOf(args)) assert.ok(known.has(f), `quantumd has no --${f}`);
    assert.ok(args.includes("--etcd-endpoints"));
    const etcdUnit = read("contrib/quantum-etcd.service");
    assert.match(etcdUnit, /--grpc-keepalive-min-time/);
    if (existsSync(etcdBin)) {
      const help = execFileSync(etcdBin, ["--help"], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
      const etcdFlags = new Set([...help.matchAll(/--([a-z][a-z-]+)/g)].map((m) => m[1] ?? ""));
      const etcdExec = /^ExecStart=(.*)$/m.exec(etcdUnit.replace(/\\\n/g, " "))?.[1] ?? "";
      for (const f of flagsOf(etcdExec.split(/\s+/))) assert.ok(etcdFlags.has(f), `etcd has no --${f}`);
    }
    assert.doesNotMatch(etcdUnit, /apt-get install etcd-server(?! && systemctl disable)/);
  });
});
