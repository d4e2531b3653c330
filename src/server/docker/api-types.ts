// The libnetwork remote driver and remote IPAM protocols (Docker 20.10), as zod schemas of what
// Docker sends. Field names are Docker's (moby/libnetwork drivers/remote/api/api.go and
// ipams/remote/api/api.go). Unknown keys are ignored, as Go's encoding/json does: a newer Docker
// adding a field must not fail a call.
import { z } from "zod";

const id = z.string().min(1, "must not be empty");
/** Go marshals a nil map as null. */
const stringMap = z.record(z.string(), z.string()).nullish();

export const IPAMData = z.object({
  AddressSpace: z.string().optional(),
  Pool: z.string(),
  Gateway: z.string().optional(),
  AuxAddresses: stringMap,
});
export type IPAMData = z.infer<typeof IPAMData>;

export const CreateNetworkRequest = z.object({
  NetworkID: id,
  /** `com.docker.network.generic` holds the `-o key=value` options; other keys are Docker's labels. */
  Options: z.record(z.string(), z.unknown()).nullish(),
  IPv4Data: z.array(IPAMData).nullish(),
  IPv6Data: z.array(IPAMData).nullish(),
});
export type CreateNetworkRequest = z.infer<typeof CreateNetworkRequest>;

export const NetworkRequest = z.object({ NetworkID: id });

export const EndpointInterface = z.object({
  Address: z.string().optional(),
  AddressIPv6: z.string().optional(),
  MacAddress: z.string().optional(),
});

export const CreateEndpointRequest = z.object({
  NetworkID: id,
  EndpointID: id,
  Interface: EndpointInterface.nullish(),
  Options: z.record(z.string(), z.unknown()).nullish(),
});
export type CreateEndpointRequest = z.infer<typeof CreateEndpointRequest>;

export const EndpointRequest = z.object({ NetworkID: id, EndpointID: id });
export type EndpointRequest = z.infer<typeof EndpointRequest>;

export const JoinRequest = z.object({
  NetworkID: id,
  EndpointID: id,
  SandboxKey: z.string(),
  Options: z.record(z.string(), z.unknown()).nullish(),
});
export type JoinRequest = z.infer<typeof JoinRequest>;

export const RequestPoolRequest = z.object({
  AddressSpace: z.string(),
  Pool: z.string(),
  SubPool: z.string().optional(),
  Options: stringMap,
  V6: z.boolean().optional(),
});
export type RequestPoolRequest = z.infer<typeof RequestPoolRequest>;

export const ReleasePoolRequest = z.object({ PoolID: id });

export const RequestAddressRequest = z.object({
  PoolID: id,
  Address: z.string().optional(),
  Options: stringMap,
});
export type RequestAddressRequest = z.infer<typeof RequestAddressRequest>;

export const ReleaseAddressRequest = z.object({ PoolID: id, Address: z.string() });
export type ReleaseAddressRequest = z.infer<typeof ReleaseAddressRequest>;

/** Docker's option keys (libnetwork netlabel). */
export const GENERIC_OPTIONS = "com.docker.network.generic";
export const ENABLE_IPV6 = "com.docker.network.enable_ipv6";
export const REQUEST_ADDRESS_TYPE = "RequestAddressType";
export const GATEWAY_ADDRESS = "com.docker.network.gateway";
export const LOCAL_ADDRESS_SPACE = "QuantumLocal";
export const GLOBAL_ADDRESS_SPACE = "QuantumGlobal";
