// Input checks for VirtualNetworkManager: network names (which become file names in the CNI config
// directory), subnets, gateways, drivers and isolation levels. Each failure says what was wrong
// with which value; nothing here touches the store or the kernel.
import { formatIp, networkOf, tryParseCidr, tryParseIp } from "../ipam/address.js";
import { IsolationLevel, NetworkDriverType } from "./types.js";

/** Longest network name accepted: `<name>.conflist` and derived names stay well inside NAME_MAX. */
export const NETWORK_NAME_MAX = 100;
/** The CNI network name pattern (the container ID pattern of the spec). */
export const NETWORK_NAME_PATTERN = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

/** A network definition was refused; `field` names the offending input. */
export class InvalidNetworkError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = "InvalidNetworkError";
  }
}

export class NetworkExistsError extends Error {
  constructor(readonly network: string) {
    super(`network "${network}" already exists`);
    this.name = "NetworkExistsError";
  }
}

export class NetworkNotFoundError extends Error {
  constructor(readonly network: string) {
    super(`network "${network}" does not exist`);
    this.name = "NetworkNotFoundError";
  }
}

export class SubnetOverlapError extends InvalidNetworkError {
  constructor(
    readonly subnet: string,
    readonly other: { network: string; subnet: string },
  ) {
    super("subnet", `subnet "${subnet}" overlaps subnet "${other.subnet}" of network "${other.network}"`);
    this.name = "SubnetOverlapError";
  }
}

/** Deleting a network that still has containers (or addresses) without `force`. */
export class NetworkInUseError extends Error {
  constructor(
    readonly network: string,
    readonly attachments: string[],
    readonly reservations: number,
  ) {
    const what =
      attachments.length > 0
        ? `${attachments.length} attachment${attachments.length === 1 ? "" : "s"} (${attachments.slice(0, 5).join(", ")}${attachments.length > 5 ? ", …" : ""})`
        : `${reservations} address reservation${reservations === 1 ? "" : "s"} without attachment (an ADD in progress, or a leak: see "quantumctl doctor")`;
    super(`network "${network}" is in use: ${what}; detach first or delete with force`);
    this.name = "NetworkInUseError";
  }
}

/** Why name cannot be a network name, or undefined when it can. */
export function networkNameProblem(name: unknown): string | undefined {
  if (typeof name !== "string" || name === "") return "is empty";
  if (name.length > NETWORK_NAME_MAX) return `is longer than ${NETWORK_NAME_MAX} characters (${name.length})`;
  if (name.includes("/")) return 'contains "/" (it becomes a file name in the CNI config directory)';
  if (name.includes("..")) return 'contains ".."';
  if (/\s/.test(name)) return "contains whitespace";
  if (!NETWORK_NAME_PATTERN.test(name)) return "has invalid characters (allowed: [a-zA-Z0-9][a-zA-Z0-9_.-]*)";
  return undefined;
}

/** @throws InvalidNetworkError when name is not a valid network name. */
export function validateNetworkName(name: unknown): string {
  const problem = networkNameProblem(name);
  if (problem) throw new InvalidNetworkError("name", `invalid network name ${show(name)}: it ${problem}`);
  return name as string;
}

/** Why name cannot be an interface name (1-15 bytes, not "." or "..", no "/", ":" or whitespace). */
export function interfaceNameProblem(name: string): string | undefined {
  if (name === "") return "is empty";
  if (Buffer.byteLength(name) > 15) return "is longer than 15 bytes";
  if (name === "." || name === "..") return `is "${name}"`;
  if (/[/:\s]/.test(name)) return 'contains "/", ":" or whitespace';
  return undefined;
}

/** A parsed subnet: canonical text plus the numbers overlap and gateway checks need. */
export interface ParsedSubnet {
  /** Canonical "network/len". */
  cidr: string;
  family: 4 | 6;
  prefixLength: number;
  first: bigint;
  last: bigint;
}

/**
 * Parses a subnet: a CIDR whose host bits are zero, with room for a gateway and at least one
 * container (at most /30 for IPv4, /126 for IPv6).
 * @throws InvalidNetworkError naming the value and the reason.
 */
export function parseSubnet(text: unknown, field = "subnet"): ParsedSubnet {
  const cidr = typeof text === "string" ? tryParseCidr(text) : null;
  if (!cidr) throw new InvalidNetworkError(field, `invalid ${field} ${show(text)}: not a CIDR such as "10.1.0.0/24"`);
  const bits = cidr.ip.family === 4 ? 32 : 128;
  const first = networkOf(cidr.ip, cidr.prefixLength);
  if (first !== cidr.ip.value) {
    const net = `${formatIp({ family: cidr.ip.family, value: first })}/${cidr.prefixLength}`;
    throw new InvalidNetworkError(field, `invalid ${field} ${show(text)}: host bits are set (did you mean "${net}"?)`);
  }
  if (cidr.prefixLength > bits - 2) {
    throw new InvalidNetworkError(
      field,
      `invalid ${field} ${show(text)}: /${cidr.prefixLength} leaves no address for containers (at most /${bits - 2})`,
    );
  }
  return {
    cidr: `${formatIp(cidr.ip)}/${cidr.prefixLength}`,
    family: cidr.ip.family,
    prefixLength: cidr.prefixLength,
    first,
    last: first + (1n << BigInt(bits - cidr.prefixLength)) - 1n,
  };
}

export function subnetsOverlap(a: ParsedSubnet, b: ParsedSubnet): boolean {
  return a.family === b.family && a.first <= b.last && b.first <= a.last;
}

/** The first host address of the subnet (network + 1): the default gateway. */
export function defaultGateway(subnet: ParsedSubnet): string {
  return formatIp({ family: subnet.family, value: subnet.first + 1n });
}

/**
 * Checks that gateway is a host address inside subnet (not its network address nor, for IPv4,
 * its broadcast address) and returns its canonical text.
 * @throws InvalidNetworkError
 */
export function checkGateway(subnet: ParsedSubnet, gateway: unknown): string {
  const ip = typeof gateway === "string" ? tryParseIp(gateway) : null;
  if (!ip) throw new InvalidNetworkError("gateway", `invalid gateway ${show(gateway)}: not an IP address`);
  if (ip.family !== subnet.family || ip.value < subnet.first || ip.value > subnet.last) {
    throw new InvalidNetworkError("gateway", `invalid gateway ${show(gateway)}: outside subnet "${subnet.cidr}"`);
  }
  if (ip.value === subnet.first || (subnet.family === 4 && ip.value === subnet.last)) {
    const what = ip.value === subnet.first ? "network" : "broadcast";
    throw new InvalidNetworkError(
      "gateway",
      `invalid gateway ${show(gateway)}: it is the ${what} address of subnet "${subnet.cidr}"`,
    );
  }
  return formatIp(ip);
}

/** Driver names that exist in other CNI plugins but not here, with the reason given to the user. */
const REFUSED_DRIVERS: Record<string, string> = {
  ipvlan: 'driver "ipvlan" is not supported: this host\'s kernel has no ipvlan support; use "macvlan" instead',
  overlay:
    'driver "overlay" networks take their subnet from the node\'s fabric lease: use a CNI config with "driver": "overlay" and quantumd in fabric mode (docs/fabric.md)',
};

/** @throws InvalidNetworkError for an unknown, reserved or unsupported driver. */
export function checkDriver(driver: unknown): NetworkDriverType {
  const refused = typeof driver === "string" ? REFUSED_DRIVERS[driver.toLowerCase()] : undefined;
  if (refused) throw new InvalidNetworkError("driver", refused);
  if (driver === NetworkDriverType.Bridge || driver === NetworkDriverType.Macvlan) return driver;
  throw new InvalidNetworkError(
    "driver",
    `unknown driver ${show(driver)} (supported: ${NetworkDriverType.Bridge}, ${NetworkDriverType.Macvlan})`,
  );
}

/** @throws InvalidNetworkError for an unknown isolation level. */
export function checkIsolation(isolation: unknown): IsolationLevel {
  const levels = Object.values(IsolationLevel) as string[];
  if (typeof isolation === "string" && levels.includes(isolation)) return isolation as IsolationLevel;
  throw new InvalidNetworkError(
    "isolation",
    `unknown isolation level ${show(isolation)} (one of: ${levels.join(", ")})`,
  );
}

/** @throws InvalidNetworkError when name is not a usable interface name. */
export function checkInterfaceName(field: string, name: unknown): string {
  const problem = typeof name === "string" ? interfaceNameProblem(name) : "is not a string";
  if (problem) throw new InvalidNetworkError(field, `invalid ${field} ${show(name)}: it ${problem}`);
  return name as string;
}

function show(v: unknown): string {
  if (typeof v === "string") return JSON.stringify(v.length > 60 ? `${v.slice(0, 57)}...` : v);
  return v === undefined ? "(missing)" : (JSON.stringify(v) ?? String(v));
}
