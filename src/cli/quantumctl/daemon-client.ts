// A tiny client for quantumd's HTTP API on its unix socket (GET /v1/status, POST /v1/reconcile).
// "Not running" (no socket, nobody listening) is an answer, not an error: quantumctl then works on
// the store directly.
import { request } from "node:http";

export interface DaemonAnswer {
  status: number;
  body: unknown;
}

/**
 * @returns the daemon's answer, or null when no daemon listens on socketPath
 * @throws Error when a daemon is there but the exchange fails (timeout, bad JSON)
 */
export function daemonRequest(
  socketPath: string,
  method: "GET" | "POST",
  path: string,
  timeoutMs = 30_000,
): Promise<DaemonAnswer | null> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, method, path, headers: { accept: "application/json" } }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        try {
          resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : null });
        } catch {
          reject(new Error(`quantumd at ${socketPath}: ${method} ${path} answered non-JSON: ${text.slice(0, 200)}`));
        }
      });
      res.on("error", reject);
    });
    req.setTimeout(timeoutMs, () =>
      req.destroy(new Error(`quantumd at ${socketPath}: no answer within ${timeoutMs} ms`)),
    );
    req.on("error", (err: NodeJS.ErrnoException) => {
      if (err.code === "ENOENT" || err.code === "ECONNREFUSED" || err.code === "ENOTSOCK") resolve(null);
      else reject(err);
    });
    req.end();
  });
}
