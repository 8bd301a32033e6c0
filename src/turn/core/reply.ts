/** Building responses to a request: same transaction id, MESSAGE-INTEGRITY when keyed, FINGERPRINT when the request had one. */
import { Attr, Class, ErrorReason } from '../stun/constants.js';
import { encodeErrorCode, encodeUnknown, text } from '../stun/attributes.js';
import { encode, type OutAttr, type StunMessage } from '../stun/message.js';

export interface ReplyContext {
  readonly software: Buffer | undefined;
}

export function success(ctx: ReplyContext, req: StunMessage, attrs: OutAttr[], key?: Buffer): Buffer {
  if (ctx.software) attrs.push({ type: Attr.Software, value: ctx.software });
  return encode(req.method, Class.Success, req.tid, attrs, { key, fingerprint: req.hasFingerprint });
}

export function failure(
  ctx: ReplyContext,
  req: StunMessage,
  code: number,
  extra: OutAttr[] = [],
  key?: Buffer,
): Buffer {
  const attrs: OutAttr[] = [{ type: Attr.ErrorCode, value: encodeErrorCode(code, ErrorReason[code] ?? 'Error') }, ...extra];
  if (ctx.software) attrs.push({ type: Attr.Software, value: ctx.software });
  return encode(req.method, Class.Error, req.tid, attrs, { key, fingerprint: req.hasFingerprint });
}

export const unknownAttrs = (types: number[]): OutAttr => ({ type: Attr.UnknownAttributes, value: encodeUnknown(types) });
export const textAttr = (type: number, s: string): OutAttr => ({ type, value: text(s) });
