// The media pump (media_pump.cc): a native thread that owns the receiving of some UDP sockets,
// opens the SRTP of registered incoming streams, forwards their steady state to subscriber routes
// without entering JavaScript, and hands every datagram to JavaScript afterwards, in arrival order.
// Its state is media_pump_internal.h, its JavaScript API media_pump_api.cc.
// This header holds the per-packet part (media_pump_rewrite.cc; no sockets, no N-API): how one
// decrypted publisher packet becomes one subscriber's packet, byte for byte what the TypeScript
// path writes (werift-extensions.ts canonicalInPlace -> outgoing-header.ts -> rewrite.ts -> srtpSeal).
#pragma once
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace parley {
namespace pump {

constexpr uint16_t kOneByteProfile = 0xBEDE;
constexpr uint16_t kTwoByteProfile = 0x1000;

enum SlotKind : uint8_t { kMid = 0, kAbsSendTime = 1, kAudioLevel = 2 };
enum PictureCodec : uint8_t { kNoPicture = 0, kVp8 = 1, kVp9 = 2 };

// What a route changes in the publisher's packet (PumpRouteParams in src/native/index.ts).
struct RouteParams {
  uint32_t ssrc = 0;
  uint8_t payload_type = 0;
  uint16_t seq_delta = 0;
  uint32_t ts_delta = 0;
  std::vector<std::pair<uint8_t, uint8_t>> slots;  // (negotiated id, SlotKind) sorted by id
  bool has_mid = false;
  std::vector<uint8_t> mid;
  uint8_t picture_codec = kNoPicture;
  uint32_t picture_id_delta = 0;
  uint8_t tl0_delta = 0;
};

// A decrypted publisher packet (header || plaintext) read once for all routes.
struct Incoming {
  const uint8_t* data = nullptr;
  size_t length = 0;
  size_t fixed = 0;          // 12 + 4 * CC
  size_t payload_start = 0;  // header length
  uint16_t profile = kOneByteProfile;  // of the canonical packet: the incoming block's when the level survives
  long level_start = -1;               // the audio level element's data, or -1
  size_t level_length = 0;
};

// Reads the packet as canonicalInPlace + OutgoingHeaderWriter.layout would; false for what the
// pump does not forward (padding, a malformed or id-15 extension block, a profile the writer refuses).
bool ReadIncoming(const uint8_t* data, size_t length, uint8_t audio_level_id, Incoming* out);

// The output header length for this route, or 0 when an element does not fit the profile.
size_t LayoutHeader(const Incoming& in, const RouteParams& route);

// Writes header (of `header_length` from LayoutHeader), payload and rewrite into out; returns the
// plaintext length (header + payload). out must hold that plus the SRTP tag.
size_t WritePacket(const Incoming& in, const RouteParams& route, size_t header_length, int64_t now_ms, uint8_t* out);

// werift's SrtpContext.updateRolloverCount on a state it has already processed (RFC 3711 3.3.1).
void UpdateRollover(uint16_t seq, uint32_t* roc, uint16_t* last_seq);

}  // namespace pump
}  // namespace parley
