/** Runs a child process to completion and collects its output: the one way tests spawn programs. */
import { spawn } from "node:child_process";

export interface ProcessRun {
  /** Exit status; -1 when the process died of a signal. */
  code: number;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** stdout parsed, when it is JSON. */
  json: Record<string, unknown> | undefined;
}

export interface ProcessOptions {
  env?: Record<string, string | undefined>;
  /** Written to stdin, which is then closed; absent: stdin is /dev/null. */
  input?: string;
}

export function runProcess(cmd: string, args: string[], o: ProcessOptions = {}): Promise<ProcessRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      ...(o.env ? { env: o.env as NodeJS.ProcessEnv } : {}),
      stdio: [o.input === undefined ? "ignore" : "pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout?.on("data", (b: Buffer) => {
      stdout += b.toString();
    });
    child.stderr?.on("data", (b: Buffer) => {
      stderr += b.toString();
    });
    child.on("error", reject);
    child.on("close", (code, signal) => {
      let json: Record<string, unknown> | undefined;
      try {
        json = stdout.trim() ? (JSON.parse(stdout) as Record<string, unknown>) : undefined;
      } catch {
        json = undefined;
      }
      resolve({ code: code ?? -1, signal, stdout, stderr, json });
    });
    if (child.stdin) {
      child.stdin.on("error", () => {}); // the program may exit before reading its input
      child.stdin.end(o.input);
    }
  });
}
