// The `-o key=value` options of `docker network create -d quantum` (they arrive as strings in
// Options["com.docker.network.generic"]). Unknown keys are refused: a typo must not silently give
// a network without the isolation the user asked for.

import { IsolationLevel } from "../../manager/index.js";
import { GENERIC_OPTIONS } from "./api-types.js";

export interface NetworkOptions {
  /** Quantum network name; default `docker-<first 12 hex of the NetworkID>`. */
  name?: string;
  isolation: IsolationLevel;
  mtu?: number;
  bridge?: string;
  ipMasq: boolean;
}

const KEYS = ["name", "isolation", "mtu", "bridge", "ipmasq"] as const;

/** Docker's own bridge driver spells some of them so; accepted as synonyms. */
const SYNONYMS: Record<string, (typeof KEYS)[number]> = {
  "com.docker.network.driver.mtu": "mtu",
  "com.docker.network.bridge.name": "bridge",
  "com.docker.network.bridge.enable_ip_masquerade": "ipmasq",
};

export class OptionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "OptionError";
  }
}

/** @throws OptionError naming the option and the bad value. */
export function parseNetworkOptions(options: Record<string, unknown> | null | undefined): NetworkOptions {
  const raw = options?.[GENERIC_OPTIONS];
  const generic: Record<string, unknown> = raw && typeof raw === "object" ? (raw as Record<string, unknown>) : {};
  const got: Partial<Record<(typeof KEYS)[number], string>> = {};
  for (const [k, v] of Object.entries(generic)) {
    const key = SYNONYMS[k] ?? (KEYS as readonly string[]).find((x) => x === k.toLowerCase());
    if (!key) throw new OptionError(`unknown option "${k}" (quantum accepts: ${KEYS.join(", ")})`);
    if (typeof v !== "string" && typeof v !== "number" && typeof v !== "boolean") {
      throw new OptionError(`option "${k}" must be a string, got ${JSON.stringify(v)}`);
    }
    got[key as (typeof KEYS)[number]] = String(v);
  }
  // `docker network create --internal` arrives as a label of Docker's own; it means internal isolation.
  const dockerInternal = options?.["com.docker.network.internal"] === true;
  const out: NetworkOptions = {
    isolation: parseIsolation(got.isolation, dockerInternal),
    ipMasq: parseBool("ipmasq", got.ipmasq, true),
  };
  if (got.name !== undefined) out.name = got.name;
  if (got.bridge !== undefined) out.bridge = got.bridge;
  if (got.mtu !== undefined) {
    const n = Number(got.mtu);
    if (!/^\d+$/.test(got.mtu) || n < 68 || n > 65535) {
      throw new OptionError(`option "mtu": invalid value "${got.mtu}" (an integer from 68 to 65535)`);
    }
    out.mtu = n;
  }
  return out;
}

function parseIsolation(text: string | undefined, dockerInternal: boolean): IsolationLevel {
  if (text === undefined) return dockerInternal ? IsolationLevel.Internal : IsolationLevel.None;
  const level = Object.values(IsolationLevel).find((l) => l === text);
  if (!level) {
    throw new OptionError(
      `option "isolation": invalid value "${text}" (one of: ${Object.values(IsolationLevel).join(", ")})`,
    );
  }
  if (dockerInternal && level === IsolationLevel.None) {
    throw new OptionError('--internal contradicts option "isolation=none"');
  }
  return level;
}

function parseBool(name: string, text: string | undefined, dflt: boolean): boolean {
  if (text === undefined) return dflt;
  if (/^(true|1|yes)$/i.test(text)) return true;
  if (/^(false|0|no)$/i.test(text)) return false;
  throw new OptionError(`option "${name}": invalid value "${text}" (true or false)`);
}
