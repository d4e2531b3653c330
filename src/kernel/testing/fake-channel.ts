// Test support: a fake RtnlChannel that records requests and answers with canned replies,
// so encoders and decoders are tested without root or the addon.
import { IFF, IFLA, RTM } from "../constants.js";
import { decodeMessage, MessageBuilder, type NetlinkMessage } from "../netlink-message.js";
import { encodeIfInfo } from "../rtnl-headers.js";
import type { RtnlChannel } from "../types.js";

export type Handler = (req: NetlinkMessage, op: string, object: string) => NetlinkMessage[];

/** Records every request; answers with handler (default: a plain ACK, i.e. no messages). */
export class FakeChannel implements RtnlChannel {
  readonly sent: { msg: NetlinkMessage; op: string; object: string }[] = [];
  constructor(private readonly handler: Handler = () => []) {}
  call(msg: MessageBuilder, op: string, object: string): NetlinkMessage[] {
    const decoded = decodeMessage(msg.finish(this.sent.length + 1));
    this.sent.push({ msg: decoded, op, object });
    return this.handler(decoded, op, object);
  }
}

export function linkReply(index: number, name: string, extra: (b: MessageBuilder) => void = () => {}): NetlinkMessage {
  const b = new MessageBuilder(RTM.NEWLINK, 0).header(encodeIfInfo({ index, flags: IFF.UP })).str(IFLA.IFNAME, name);
  extra(b);
  return decodeMessage(b.finish(1));
}

export function nativeError(errno: number, code: string, reason: string, kernelMessage?: string): Error {
  return Object.assign(new Error(`netlink: ${reason}`), { errno, code, syscall: "netlink", kernelMessage });
}
