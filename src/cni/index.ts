// The protocol layer's public surface: re-exports only.
export * from "./config.js";
export * from "./conflist.js";
export { ConverterRegistry, type ConvertFn, createConverterRegistry } from "./convert.js";
export * from "./env.js";
export * from "./errors.js";
export { foldGoKeys, type GoShape, goFieldFor, goFoldKey } from "./go-json-keys.js";
export * from "./ip.js";
export { type K8sPodArgs, k8sPodFromArgs } from "./k8s-args.js";
export * from "./result.js";
export * from "./runtime.js";
export { ARGS_SHAPE, foldArgsKeys, foldRuntimeConfigKeys, RUNTIME_CONFIG_SHAPE } from "./runtime-config-keys.js";
export { resultDns } from "./runtime-dns.js";
export * from "./types.js";
export type { IpConfigV020, ResultV020, V020Version } from "./v020/types.js";
export type { InterfaceV040, IpConfigV040, ResultV040, V040Version } from "./v040/types.js";
export type { InterfaceV100, IpConfigV100, ResultV100, V100Version } from "./v100/types.js";
export * from "./version.js";
