import type { DockerAnswer } from "./dispatch.js";

export interface DockerWorkerData {
  dataDir: string;
  firewallTable: string;
  driverName: string;
}

export type ToDockerWorker = { kind: "call"; id: number; method: string; body: unknown } | { kind: "close" };

export interface FromDockerWorker {
  id: number;
  answer: DockerAnswer;
  workMs: number;
}
