// Structured JSON logs on stderr (pino): one line per CNI request with container id, network,
// command, duration and outcome, plus lifecycle events.
import { type Logger, pino } from "pino";

export type { Logger };

export function createLogger(level = process.env["QUANTUMD_LOG_LEVEL"] ?? "info"): Logger {
  return pino({ name: "quantumd", level, base: { pid: process.pid } }, pino.destination({ fd: 2, sync: false }));
}

/** A logger that drops everything (tests, library use). */
export function silentLogger(): Logger {
  return pino({ level: "silent" });
}
