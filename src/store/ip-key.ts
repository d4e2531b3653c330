// An order-preserving binary key for an address, so the store can answer "how many reservations lie
// between these two addresses" from an index range instead of the allocator probing one by one.
// Layout: one family byte (4 or 6), then the address bytes big-endian; memcmp order is address order
// within a family and never mixes families. This is encoding only: which range to ask about is ipam's.
import ipaddr from "ipaddr.js";

export function ipKey(ip: string): Buffer {
  let addr: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    addr = ipaddr.parse(ip);
  } catch {
    throw new TypeError(`reservation ip "${ip}" is not an IP address`);
  }
  return Buffer.from([addr.kind() === "ipv4" ? 4 : 6, ...addr.toByteArray()]);
}
