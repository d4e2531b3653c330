export {
  addressOfCidr,
  type Cidr,
  cidrsOverlap,
  type Family,
  formatIp,
  type Ip,
  networkOfCidr,
  sameSubnet,
  tryParseCidr,
  tryParseIp,
} from "./address.js";
export { type AllocatedIp, type AllocateRequest, Allocator, type RangeSetUsage } from "./allocator.js";
export { IpamError, type IpamErrorKind } from "./errors.js";
export {
  capacityOf,
  type ParsedRangeSet,
  parseRange,
  parseRangeSets,
  type Range,
  type RangeSet,
  type RangeSpec,
} from "./ranges.js";
