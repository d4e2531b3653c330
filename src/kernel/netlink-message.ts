// Netlink message encoding and decoding primitives: the nlmsghdr, type-length-value attributes
// (4-byte aligned, nestable) and a builder that writes both into one growing buffer.
// Integers are host byte order (little-endian on every machine we run on) unless the kernel
// defines them as network order (ports); addresses are raw bytes.
import { NLA_F_NESTED, NLA_TYPE_MASK, NLM_F } from "./constants.js";

export const NLMSG_HDRLEN = 16;
const NLA_HDRLEN = 4;

export function align4(n: number): number {
  return (n + 3) & ~3;
}

/**
 * Builds one netlink request: header, fixed-size family header, then attributes.
 * The sequence number is stamped by {@link finish} so that the socket owns numbering.
 */
export class MessageBuilder {
  private buf: Buffer = Buffer.alloc(512);
  private len = NLMSG_HDRLEN;
  private readonly nests: number[] = [];

  /** @param flags NLM_F_REQUEST is always added. */
  constructor(
    readonly type: number,
    readonly flags: number,
  ) {}

  /** Appends a fixed family header (ifinfomsg, rtmsg...), already encoded. */
  header(bytes: Buffer): this {
    this.append(bytes);
    return this;
  }

  u8(type: number, v: number): this {
    return this.attr(type, Buffer.of(v & 0xff));
  }

  u16(type: number, v: number): this {
    const b = Buffer.alloc(2);
    b.writeUInt16LE(v);
    return this.attr(type, b);
  }

  /** A 16-bit value in network byte order (UDP ports). */
  u16be(type: number, v: number): this {
    const b = Buffer.alloc(2);
    b.writeUInt16BE(v);
    return this.attr(type, b);
  }

  u32(type: number, v: number): this {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(v >>> 0);
    return this.attr(type, b);
  }

  s32(type: number, v: number): this {
    const b = Buffer.alloc(4);
    b.writeInt32LE(v);
    return this.attr(type, b);
  }

  /** A NUL-terminated string (interface names, kinds). */
  str(type: number, s: string): this {
    const b = Buffer.alloc(Buffer.byteLength(s) + 1);
    b.write(s);
    return this.attr(type, b);
  }

  attr(type: number, payload: Buffer): this {
    const start = this.reserve(align4(NLA_HDRLEN + payload.length));
    this.buf.writeUInt16LE(NLA_HDRLEN + payload.length, start);
    this.buf.writeUInt16LE(type, start + 2);
    payload.copy(this.buf, start + NLA_HDRLEN);
    return this;
  }

  /** Opens a nested attribute; close it with {@link end}. */
  begin(type: number, nestedFlag = true): this {
    const start = this.reserve(NLA_HDRLEN);
    this.buf.writeUInt16LE(type | (nestedFlag ? NLA_F_NESTED : 0), start + 2);
    this.nests.push(start);
    return this;
  }

  end(): this {
    const start = this.nests.pop();
    if (start === undefined) throw new Error("MessageBuilder.end() without begin()");
    this.buf.writeUInt16LE(this.len - start, start);
    return this;
  }

  /** Runs fn between begin(type) and end(). */
  nest(type: number, fn: (b: this) => void, nestedFlag = true): this {
    this.begin(type, nestedFlag);
    fn(this);
    return this.end();
  }

  /** Returns the finished message (a copy), stamped with seq. */
  finish(seq: number, pid = 0): Buffer {
    if (this.nests.length > 0) throw new Error("MessageBuilder.finish() with an open nested attribute");
    const out = Buffer.from(this.buf.subarray(0, this.len));
    out.writeUInt32LE(this.len, 0);
    out.writeUInt16LE(this.type, 4);
    out.writeUInt16LE(this.flags | NLM_F.REQUEST, 6);
    out.writeUInt32LE(seq >>> 0, 8);
    out.writeUInt32LE(pid >>> 0, 12);
    return out;
  }

  private append(bytes: Buffer): void {
    const start = this.reserve(align4(bytes.length));
    bytes.copy(this.buf, start);
  }

  /** Grows the buffer by n zeroed bytes and returns where they start. */
  private reserve(n: number): number {
    if (this.len + n > this.buf.length) {
      const bigger = Buffer.alloc(Math.max(this.buf.length * 2, this.len + n));
      this.buf.copy(bigger, 0, 0, this.len);
      this.buf = bigger;
    }
    const start = this.len;
    this.len += n;
    return start;
  }
}

/** One received message; body is everything after the nlmsghdr (a view, not a copy). */
export interface NetlinkMessage {
  type: number;
  flags: number;
  seq: number;
  pid: number;
  body: Buffer;
}

export function decodeMessage(buf: Buffer): NetlinkMessage {
  if (buf.length < NLMSG_HDRLEN) throw new RangeError(`netlink message too short: ${buf.length} bytes`);
  const len = buf.readUInt32LE(0);
  if (len < NLMSG_HDRLEN || len > buf.length) throw new RangeError(`bad nlmsg_len ${len} for ${buf.length} bytes`);
  return {
    type: buf.readUInt16LE(4),
    flags: buf.readUInt16LE(6),
    seq: buf.readUInt32LE(8),
    pid: buf.readUInt32LE(12),
    body: buf.subarray(NLMSG_HDRLEN, len),
  };
}

/**
 * Attributes by type (flags masked off). The kernel sends each type once per level in the
 * messages we read; if it repeats one, the last wins.
 */
export type Attrs = Map<number, Buffer>;

/** Parses the attributes in buf[offset..]; stops quietly at a truncated tail. */
export function parseAttrs(buf: Buffer, offset = 0): Attrs {
  const out: Attrs = new Map();
  let off = offset;
  while (off + NLA_HDRLEN <= buf.length) {
    const len = buf.readUInt16LE(off);
    if (len < NLA_HDRLEN || off + len > buf.length) break;
    out.set(buf.readUInt16LE(off + 2) & NLA_TYPE_MASK, buf.subarray(off + NLA_HDRLEN, off + len));
    off += align4(len);
  }
  return out;
}

export function attrU8(a: Attrs, type: number): number | undefined {
  const b = a.get(type);
  return b && b.length >= 1 ? b.readUInt8(0) : undefined;
}

export function attrU16be(a: Attrs, type: number): number | undefined {
  const b = a.get(type);
  return b && b.length >= 2 ? b.readUInt16BE(0) : undefined;
}

export function attrU32(a: Attrs, type: number): number | undefined {
  const b = a.get(type);
  return b && b.length >= 4 ? b.readUInt32LE(0) : undefined;
}

export function attrS32(a: Attrs, type: number): number | undefined {
  const b = a.get(type);
  return b && b.length >= 4 ? b.readInt32LE(0) : undefined;
}

/** A NUL-terminated string attribute. */
export function attrStr(a: Attrs, type: number): string | undefined {
  const b = a.get(type);
  if (!b) return undefined;
  const nul = b.indexOf(0);
  return b.toString("utf8", 0, nul === -1 ? b.length : nul);
}

/** A nested attribute's children, or undefined when absent. */
export function attrNested(a: Attrs, type: number): Attrs | undefined {
  const b = a.get(type);
  return b ? parseAttrs(b) : undefined;
}
