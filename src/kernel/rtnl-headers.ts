// The fixed family headers that follow nlmsghdr in rtnetlink messages (linux/rtnetlink.h):
// ifinfomsg (links), ifaddrmsg (addresses), rtmsg (routes) and ndmsg (neighbours, FDB).

export interface IfInfoMsg {
  family: number;
  type: number;
  index: number;
  flags: number;
  change: number;
}
export const IFINFOMSG_LEN = 16;

export function encodeIfInfo(h: Partial<IfInfoMsg> = {}): Buffer {
  const b = Buffer.alloc(IFINFOMSG_LEN);
  b.writeUInt8(h.family ?? 0, 0);
  b.writeUInt16LE(h.type ?? 0, 2);
  b.writeInt32LE(h.index ?? 0, 4);
  b.writeUInt32LE((h.flags ?? 0) >>> 0, 8);
  b.writeUInt32LE((h.change ?? 0) >>> 0, 12);
  return b;
}

export function decodeIfInfo(b: Buffer): IfInfoMsg {
  need(b, IFINFOMSG_LEN, "ifinfomsg");
  return {
    family: b.readUInt8(0),
    type: b.readUInt16LE(2),
    index: b.readInt32LE(4),
    flags: b.readUInt32LE(8),
    change: b.readUInt32LE(12),
  };
}

export interface IfAddrMsg {
  family: number;
  prefixLen: number;
  flags: number;
  scope: number;
  index: number;
}
export const IFADDRMSG_LEN = 8;

export function encodeIfAddr(h: Partial<IfAddrMsg> = {}): Buffer {
  const b = Buffer.alloc(IFADDRMSG_LEN);
  b.writeUInt8(h.family ?? 0, 0);
  b.writeUInt8(h.prefixLen ?? 0, 1);
  b.writeUInt8(h.flags ?? 0, 2);
  b.writeUInt8(h.scope ?? 0, 3);
  b.writeUInt32LE(h.index ?? 0, 4);
  return b;
}

export function decodeIfAddr(b: Buffer): IfAddrMsg {
  need(b, IFADDRMSG_LEN, "ifaddrmsg");
  return {
    family: b.readUInt8(0),
    prefixLen: b.readUInt8(1),
    flags: b.readUInt8(2),
    scope: b.readUInt8(3),
    index: b.readUInt32LE(4),
  };
}

export interface RtMsg {
  family: number;
  dstLen: number;
  srcLen: number;
  tos: number;
  table: number;
  protocol: number;
  scope: number;
  type: number;
  flags: number;
}
export const RTMSG_LEN = 12;

export function encodeRt(h: Partial<RtMsg> = {}): Buffer {
  const b = Buffer.alloc(RTMSG_LEN);
  b.writeUInt8(h.family ?? 0, 0);
  b.writeUInt8(h.dstLen ?? 0, 1);
  b.writeUInt8(h.srcLen ?? 0, 2);
  b.writeUInt8(h.tos ?? 0, 3);
  b.writeUInt8(h.table ?? 0, 4);
  b.writeUInt8(h.protocol ?? 0, 5);
  b.writeUInt8(h.scope ?? 0, 6);
  b.writeUInt8(h.type ?? 0, 7);
  b.writeUInt32LE(h.flags ?? 0, 8);
  return b;
}

export function decodeRt(b: Buffer): RtMsg {
  need(b, RTMSG_LEN, "rtmsg");
  return {
    family: b.readUInt8(0),
    dstLen: b.readUInt8(1),
    srcLen: b.readUInt8(2),
    tos: b.readUInt8(3),
    table: b.readUInt8(4),
    protocol: b.readUInt8(5),
    scope: b.readUInt8(6),
    type: b.readUInt8(7),
    flags: b.readUInt32LE(8),
  };
}

export interface NdMsg {
  family: number;
  index: number;
  state: number;
  flags: number;
  type: number;
}
export const NDMSG_LEN = 12;

export function encodeNd(h: Partial<NdMsg> = {}): Buffer {
  const b = Buffer.alloc(NDMSG_LEN);
  b.writeUInt8(h.family ?? 0, 0);
  b.writeInt32LE(h.index ?? 0, 4);
  b.writeUInt16LE(h.state ?? 0, 8);
  b.writeUInt8(h.flags ?? 0, 10);
  b.writeUInt8(h.type ?? 0, 11);
  return b;
}

export function decodeNd(b: Buffer): NdMsg {
  need(b, NDMSG_LEN, "ndmsg");
  return {
    family: b.readUInt8(0),
    index: b.readInt32LE(4),
    state: b.readUInt16LE(8),
    flags: b.readUInt8(10),
    type: b.readUInt8(11),
  };
}

function need(b: Buffer, n: number, what: string): void {
  if (b.length < n) throw new RangeError(`${what} needs ${n} bytes, got ${b.length}`);
}
