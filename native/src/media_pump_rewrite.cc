// The media pump's per-packet part (media_pump.h): how one decrypted publisher packet becomes one
// subscriber's packet, byte for byte what the TypeScript path writes. Pure functions: no sockets,
// no N-API, no state beyond the route's.
#include <cmath>
#include <cstring>

#include "media_pump.h"
#include "srtp.h"

namespace parley {
namespace pump {

// ---- the packet: decide and rewrite, no I/O

bool ReadIncoming(const uint8_t* p, size_t length, uint8_t audio_level_id, Incoming* in) {
  if (length < 12 || (p[0] & 0x20) != 0) return false;  // RTP padding: the general path
  const size_t fixed = 12 + (p[0] & 0x0f) * 4;
  if (length < fixed) return false;
  in->data = p;
  in->length = length;
  in->fixed = fixed;
  in->payload_start = fixed;
  in->profile = kOneByteProfile;
  in->level_start = -1;
  in->level_length = 0;
  if ((p[0] & 0x10) == 0) return true;
  if (length < fixed + 4) return false;
  const uint16_t profile = (p[fixed] << 8) | p[fixed + 1];
  const size_t end = fixed + 4 + 4 * size_t((p[fixed + 2] << 8) | p[fixed + 3]);
  if (end > length) return false;
  in->payload_start = end;
  size_t i = fixed + 4;
  if (profile == kOneByteProfile) {
    while (i < end) {
      const uint8_t b = p[i];
      if (b == 0) {
        i++;
        continue;
      }
      const uint8_t id = b >> 4;
      if (id == 15) return false;  // RFC 8285 4.2: stop processing
      const size_t elen = (b & 0x0f) + 1;
      if (i + 1 + elen > end) return false;
      if (id == audio_level_id && in->level_start < 0) {
        in->level_start = static_cast<long>(i + 1);
        in->level_length = elen;
      }
      i += 1 + elen;
    }
  } else if ((profile & 0xfff0) == kTwoByteProfile) {
    while (i < end) {
      const uint8_t id = p[i];
      if (id == 0) {
        i++;
        continue;
      }
      if (i + 1 >= end) return false;
      const size_t elen = p[i + 1];
      if (i + 2 + elen > end) return false;
      if (id == audio_level_id && in->level_start < 0) {
        in->level_start = static_cast<long>(i + 2);
        in->level_length = elen;
      }
      i += 2 + elen;
    }
  }
  // canonicalInPlace keeps the block (and its profile) only around the audio level; without it the
  // canonical packet has no extension and the writer's profile is one-byte
  if (in->level_start >= 0) {
    if (profile != kOneByteProfile && profile != kTwoByteProfile) return false;  // the writer refuses 0x1001..0x100f
    in->profile = profile;
  }
  return true;
}

size_t LayoutHeader(const Incoming& in, const RouteParams& route) {
  const bool one_byte = in.profile == kOneByteProfile;
  size_t body = 0;
  for (const auto& [id, kind] : route.slots) {
    size_t elen;
    if (kind == kMid) {
      if (!route.has_mid) continue;
      elen = route.mid.size();
    } else if (kind == kAbsSendTime) {
      elen = 3;
    } else {
      if (in.level_start < 0) continue;
      elen = in.level_length;
    }
    if (one_byte ? (id < 1 || id > 14 || elen < 1 || elen > 16) : (id < 1 || elen > 255)) return 0;
    body += (one_byte ? 1 : 2) + elen;
  }
  return body == 0 ? in.fixed : in.fixed + 4 + (body + 3) / 4 * 4;
}

namespace {

uint8_t* ElementHeader(uint8_t* o, bool one_byte, uint8_t id, size_t length) {
  if (one_byte) {
    *o = static_cast<uint8_t>((id << 4) | (length - 1));
    return o + 1;
  }
  o[0] = id;
  o[1] = static_cast<uint8_t>(length);
  return o + 2;
}

// picture-id.ts pictureIdFields + writePictureId / writeTl0PicIdx, with the route's deltas.
void RewritePicture(uint8_t* payload, size_t length, const RouteParams& route) {
  if (route.picture_codec == kNoPicture || length < 1) return;
  const uint8_t b0 = payload[0];
  size_t pos;
  bool has_pid, has_tl0;
  if (route.picture_codec == kVp8) {
    if ((b0 & 0x80) == 0 || length < 2) return;  // no X: no extension byte
    has_pid = (payload[1] & 0x80) != 0;
    has_tl0 = (payload[1] & 0x40) != 0;
    pos = 2;
  } else {
    has_pid = (b0 & 0x80) != 0;
    has_tl0 = (b0 & 0x20) != 0 && (b0 & 0x10) == 0;  // L and not F: TL0PICIDX after the layer byte
    pos = 1;
  }
  long pid_at = -1;
  int pid_bits = 0;
  if (has_pid) {
    if (length <= pos) return;
    pid_at = static_cast<long>(pos);
    pid_bits = (payload[pos] & 0x80) != 0 ? 15 : 7;
    if (pid_bits == 15 && length <= pos + 1) return;
    pos += pid_bits == 15 ? 2 : 1;
  }
  long tl0_at = -1;
  if (has_tl0) {
    const size_t at = route.picture_codec == kVp8 ? pos : pos + 1;
    if (length <= at) return;
    tl0_at = static_cast<long>(at);
  }
  if (pid_bits == 15) {
    const uint32_t v = ((((payload[pid_at] & 0x7f) << 8) | payload[pid_at + 1]) + route.picture_id_delta) & 0x7fff;
    payload[pid_at] = static_cast<uint8_t>(0x80 | (v >> 8));
    payload[pid_at + 1] = static_cast<uint8_t>(v);
  } else if (pid_bits == 7) {
    payload[pid_at] = static_cast<uint8_t>(((payload[pid_at] & 0x7f) + route.picture_id_delta) & 0x7f);
  }
  if (tl0_at >= 0) payload[tl0_at] = static_cast<uint8_t>(payload[tl0_at] + route.tl0_delta);
}

}  // namespace

size_t WritePacket(const Incoming& in, const RouteParams& route, size_t header_length, int64_t now_ms, uint8_t* out) {
  const uint8_t* p = in.data;
  memcpy(out, p, in.fixed);
  if (header_length == in.fixed) {
    out[0] = p[0] & 0xef;
  } else {
    const bool one_byte = in.profile == kOneByteProfile;
    out[0] = p[0] | 0x10;
    out[in.fixed] = in.profile >> 8;
    out[in.fixed + 1] = in.profile & 0xff;
    const size_t words = (header_length - in.fixed - 4) / 4;
    out[in.fixed + 2] = static_cast<uint8_t>(words >> 8);
    out[in.fixed + 3] = static_cast<uint8_t>(words);
    uint8_t* o = out + in.fixed + 4;
    for (const auto& [id, kind] : route.slots) {
      if (kind == kMid) {
        if (!route.has_mid) continue;
        o = ElementHeader(o, one_byte, id, route.mid.size());
        memcpy(o, route.mid.data(), route.mid.size());
        o += route.mid.size();
      } else if (kind == kAbsSendTime) {
        o = ElementHeader(o, one_byte, id, 3);
        // as JavaScript computes it (in doubles): 24-bit 6.18 fixed-point seconds
        const uint32_t v = static_cast<uint32_t>(static_cast<int64_t>(std::floor(static_cast<double>(now_ms) * 262144.0 / 1000.0)) & 0xffffff);
        o[0] = v >> 16;
        o[1] = v >> 8;
        o[2] = v;
        o += 3;
      } else {
        if (in.level_start < 0) continue;
        o = ElementHeader(o, one_byte, id, in.level_length);
        memcpy(o, p + in.level_start, in.level_length);
        o += in.level_length;
      }
    }
    memset(o, 0, out + header_length - o);
  }
  const size_t payload = in.length - in.payload_start;
  memcpy(out + header_length, p + in.payload_start, payload);
  // rewrite.ts writeRewrite: sequence number, timestamp, SSRC, payload type (the marker kept)
  const uint16_t seq = static_cast<uint16_t>(((p[2] << 8) | p[3]) + route.seq_delta);
  out[2] = seq >> 8;
  out[3] = seq & 0xff;
  Write32(out + 4, Read32(p + 4) + route.ts_delta);
  Write32(out + 8, route.ssrc);
  out[1] = (p[1] & 0x80) | (route.payload_type & 0x7f);
  RewritePicture(out + header_length, payload, route);
  return header_length + payload;
}

void UpdateRollover(uint16_t seq, uint32_t* roc, uint16_t* last_seq) {
  constexpr uint16_t kMaxDisorder = 100;
  constexpr uint16_t kMaxSeq = 65535;
  if (seq == 0) {
    if (*last_seq > kMaxDisorder) ++*roc;
  } else if (*last_seq < kMaxDisorder && seq > kMaxSeq - kMaxDisorder) {
    if (*roc > 0) --*roc;
  } else if (seq < kMaxDisorder && *last_seq > kMaxSeq - kMaxDisorder) {
    ++*roc;
  }
  *last_seq = seq;
}

}  // namespace pump
}  // namespace parley
