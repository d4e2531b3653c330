// IPAM's own error: a layer above (cni/) maps kind to a CNI error code, so ipam never imports cni/.

export type IpamErrorKind =
  | "exhausted"
  | "duplicate"
  | "requested-unavailable"
  | "requested-out-of-range"
  | "invalid-range";

export class IpamError extends Error {
  override readonly name = "IpamError";

  constructor(
    readonly kind: IpamErrorKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
