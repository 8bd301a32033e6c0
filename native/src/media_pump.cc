// The media pump (media_pump.h): its per-packet rewrite, its thread (epoll over dup'd sockets and
// an eventfd), and its JavaScript API (src/native/index.ts types it). One mutex serialises the
// control calls and the per-datagram work, so a control call's effect is exact from its return on.
#include "media_pump.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <deque>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "addon.h"
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

// ---- the thread and its state

namespace parley {

namespace {

using pump::Incoming;
using pump::RouteParams;

constexpr uint32_t kPumpMagic = 0x50554d50;  // "PUMP"
constexpr size_t kMaxPending = 8192;         // items waiting for JavaScript
constexpr size_t kMaxDatagram = 65536;
constexpr int kRaw = 0, kHeld = 1, kForwarded = 2;

struct Ingress {
  SrtpSender* receiver = nullptr;
  napi_ref receiver_ref = nullptr;  // keeps the context alive while the pump uses it
  uint8_t payload_type = 0;
  uint8_t audio_level_id = 0;
  uint32_t roc = 0;
  uint16_t last_seq = 0;
  bool batch = false;
  bool held = false;
};

struct Route {
  uint32_t id = 0;
  uint32_t ingress_ssrc = 0;
  SrtpSender* sender = nullptr;
  napi_ref sender_ref = nullptr;
  int fd = -1;
  sockaddr_storage addr{};
  socklen_t addr_length = 0;
  uint32_t roc = 0;  // outgoing rollover state of params.ssrc
  uint16_t last_seq = 0;
  RouteParams params;
  size_t header_length = 0;  // laid out for the packet being forwarded
};

struct Item {
  std::vector<uint8_t> data;
  sockaddr_storage from{};
  int fd = -1;
  double arrival_ms = 0;
  int kind = kRaw;
  uint32_t roc = 0;
  std::vector<uint32_t> routes;
};

struct Stats {
  double received = 0, forwarded = 0, sent = 0, send_failures = 0, auth_failures = 0, held = 0, dropped = 0;
};

struct Pump {
  uint32_t magic = kPumpMagic;
  napi_env env = nullptr;
  std::mutex mu;
  // guarded by mu
  std::unordered_map<int, int> sockets;  // dup -> the caller's fd
  std::unordered_map<uint32_t, Ingress> ingresses;
  std::unordered_map<uint32_t, std::vector<Route>> routes;  // by ingress SSRC
  std::unordered_map<uint32_t, uint32_t> route_ingress;    // route id -> ingress SSRC
  std::deque<Item> outbox;  // for JavaScript now, in arrival order
  std::deque<Item> queued;  // forwarded items waiting for the batch to be due
  double queued_since = 0;  // steady clock of the oldest queued item
  bool wake_posted = false;
  Stats stats;
  // owned by the JavaScript thread
  napi_threadsafe_function tsfn = nullptr;
  napi_ref callback = nullptr;
  int epoll_fd = -1;
  int event_fd = -1;
  double batch_ms = 0;
  std::thread thread;
  std::atomic<bool> stopping{false};
  bool closed = false;
  bool external_gone = false;
  bool tsfn_gone = false;
  bool hook_ran = false;  // the environment's teardown stopped the thread
  // the thread's own
  std::vector<uint8_t> recv_buffer = std::vector<uint8_t>(kMaxDatagram);
  std::vector<uint8_t> send_buffer = std::vector<uint8_t>(kMaxDatagram + 64);
};

double SteadyMs() {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

double WallMs() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

size_t RtpHeaderLength(const uint8_t* p, size_t length) {
  size_t h = 12 + 4 * (p[0] & 0x0f);
  if (length < h) return 0;
  if ((p[0] & 0x10) != 0) {
    if (length < h + 4) return 0;
    h += 4 + 4 * size_t((p[h + 2] << 8) | p[h + 3]);
  }
  return h <= length ? h : 0;
}

// The items for JavaScript: `item` goes out now, after what was queued (under mu).
void Post(Pump* p, Item&& item) {
  if (p->outbox.size() + p->queued.size() >= kMaxPending) {
    p->stats.dropped++;
    return;
  }
  while (!p->queued.empty()) {
    p->outbox.push_back(std::move(p->queued.front()));
    p->queued.pop_front();
  }
  p->outbox.push_back(std::move(item));
}

void Queue(Pump* p, Item&& item) {
  if (p->outbox.size() + p->queued.size() >= kMaxPending) {
    p->stats.dropped++;
    return;
  }
  if (p->queued.empty()) p->queued_since = SteadyMs();
  p->queued.push_back(std::move(item));
}

// Forwards a steady packet to every route of the ingress; the ids of those it went to.
void Forward(Pump* p, std::vector<Route>& routes, const Incoming& in, std::vector<uint32_t>* sent_to) {
  const int64_t now_ms = static_cast<int64_t>(std::floor(WallMs()));
  uint8_t* out = p->send_buffer.data();
  for (Route& r : routes) {
    const size_t tag = r.sender->tag();
    if (r.header_length + (in.length - in.payload_start) + tag > p->send_buffer.size()) {
      p->stats.send_failures++;
      continue;
    }
    const size_t plain = pump::WritePacket(in, r.params, r.header_length, now_ms, out);
    pump::UpdateRollover(static_cast<uint16_t>((out[2] << 8) | out[3]), &r.roc, &r.last_seq);
    if (!Seal(r.sender, out, plain + tag, r.header_length, r.roc)) {
      p->stats.send_failures++;
      continue;
    }
    const ssize_t n = sendto(r.fd, out, plain + tag, MSG_DONTWAIT, reinterpret_cast<const sockaddr*>(&r.addr), r.addr_length);
    if (n < 0) {
      p->stats.send_failures++;
    } else {
      p->stats.sent++;
      sent_to->push_back(r.id);
    }
  }
}

// An RTP datagram of a registered ingress (under mu).
void OnIngress(Pump* p, Ingress& g, uint32_t ssrc, Item&& item) {
  uint8_t* data = item.data.data();
  const size_t length = item.data.size();
  const size_t header = RtpHeaderLength(data, length);
  if (g.held || header == 0 || header + g.receiver->tag() > length) return Post(p, std::move(item));
  const uint16_t seq = (data[2] << 8) | data[3];
  uint32_t roc = g.roc;
  uint16_t last = g.last_seq;
  pump::UpdateRollover(seq, &roc, &last);
  const long plain = Open(g.receiver, data, length, header, roc);
  if (plain < 0) {
    p->stats.auth_failures++;
    return;
  }
  item.data.resize(static_cast<size_t>(plain));
  item.roc = roc;
  data = item.data.data();
  const bool ahead = ((uint64_t(roc) << 16) | seq) > ((uint64_t(g.roc) << 16) | g.last_seq);
  Incoming in;
  bool steady = (data[1] & 0x7f) == g.payload_type && seq == static_cast<uint16_t>(g.last_seq + 1) &&
                pump::ReadIncoming(data, item.data.size(), g.audio_level_id, &in);
  auto found = p->routes.find(ssrc);
  if (steady && found != p->routes.end()) {
    for (Route& r : found->second) {
      r.header_length = pump::LayoutHeader(in, r.params);
      if (r.header_length == 0) steady = false;
    }
  }
  if (ahead) {
    g.roc = roc;
    g.last_seq = seq;
  }
  if (!steady) {
    g.held = true;
    p->stats.held++;
    item.kind = kHeld;
    return Post(p, std::move(item));
  }
  p->stats.forwarded++;
  item.kind = kForwarded;
  if (found != p->routes.end()) Forward(p, found->second, in, &item.routes);
  if (g.batch) return Queue(p, std::move(item));
  Post(p, std::move(item));
}

// One datagram as received on `fd` (under mu).
void OnDatagram(Pump* p, Item&& item) {
  p->stats.received++;
  const uint8_t* d = item.data.data();
  const size_t n = item.data.size();
  const bool rtp = n >= 12 && (d[0] >> 6) == 2 && !(d[1] >= 192 && d[1] <= 223);
  if (rtp) {
    const uint32_t ssrc = Read32(d + 8);
    auto found = p->ingresses.find(ssrc);
    if (found != p->ingresses.end()) return OnIngress(p, found->second, ssrc, std::move(item));
  }
  Post(p, std::move(item));
}

// Reads `dup` until EAGAIN; false once it is no longer the pump's.
void DrainSocket(Pump* p, int dup) {
  for (;;) {
    std::lock_guard<std::mutex> lock(p->mu);
    auto socket = p->sockets.find(dup);
    if (socket == p->sockets.end()) return;
    Item item;
    socklen_t from_length = sizeof item.from;
    const ssize_t n = recvfrom(dup, p->recv_buffer.data(), p->recv_buffer.size(), MSG_DONTWAIT,
                               reinterpret_cast<sockaddr*>(&item.from), &from_length);
    if (n < 0) return;  // EAGAIN, or an error the next readiness reports again
    item.arrival_ms = WallMs();
    item.fd = socket->second;
    item.data.assign(p->recv_buffer.data(), p->recv_buffer.data() + n);
    OnDatagram(p, std::move(item));
  }
}

// Hands the outbox to JavaScript unless a hand-over is already on its way (under mu).
void Wake(Pump* p) {
  if (p->outbox.empty() || p->wake_posted) return;
  if (napi_call_threadsafe_function(p->tsfn, nullptr, napi_tsfn_nonblocking) == napi_ok) p->wake_posted = true;
}

void Loop(Pump* p) {
  epoll_event events[32];
  int timeout = -1;
  while (!p->stopping.load()) {
    const int n = epoll_wait(p->epoll_fd, events, 32, timeout);
    for (int i = 0; i < n; i++) {
      const int fd = events[i].data.fd;
      if (fd == p->event_fd) {
        uint64_t value;
        (void)!read(p->event_fd, &value, sizeof value);
      } else {
        DrainSocket(p, fd);
      }
    }
    std::lock_guard<std::mutex> lock(p->mu);
    timeout = -1;
    if (!p->queued.empty()) {
      const double due = p->queued_since + p->batch_ms - SteadyMs();
      if (due <= 0) {
        while (!p->queued.empty()) {
          p->outbox.push_back(std::move(p->queued.front()));
          p->queued.pop_front();
        }
      } else {
        timeout = static_cast<int>(std::ceil(due));
      }
    }
    Wake(p);
  }
}

// ---- JavaScript

napi_value NewItem(napi_env env, Item& item) {
  napi_value o, v;
  void* copy;
  if (napi_create_object(env, &o) != napi_ok) return nullptr;
  napi_create_buffer_copy(env, item.data.size(), item.data.data(), &copy, &v);
  napi_set_named_property(env, o, "data", v);
  char host[INET6_ADDRSTRLEN] = "";
  int port = 0;
  const bool v4 = item.from.ss_family == AF_INET;
  if (v4) {
    const auto* a = reinterpret_cast<const sockaddr_in*>(&item.from);
    inet_ntop(AF_INET, &a->sin_addr, host, sizeof host);
    port = ntohs(a->sin_port);
  } else {
    const auto* a = reinterpret_cast<const sockaddr_in6*>(&item.from);
    inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof host);
    port = ntohs(a->sin6_port);
  }
  napi_create_string_utf8(env, host, NAPI_AUTO_LENGTH, &v);
  napi_set_named_property(env, o, "address", v);
  napi_create_int32(env, port, &v);
  napi_set_named_property(env, o, "port", v);
  napi_create_string_utf8(env, v4 ? "IPv4" : "IPv6", NAPI_AUTO_LENGTH, &v);
  napi_set_named_property(env, o, "family", v);
  napi_create_int32(env, item.fd, &v);
  napi_set_named_property(env, o, "fd", v);
  napi_create_double(env, item.arrival_ms, &v);
  napi_set_named_property(env, o, "arrivalMs", v);
  napi_create_int32(env, item.kind, &v);
  napi_set_named_property(env, o, "kind", v);
  napi_create_uint32(env, item.roc, &v);
  napi_set_named_property(env, o, "roc", v);
  if (item.kind == kForwarded) {
    napi_create_array_with_length(env, item.routes.size(), &v);
    for (size_t i = 0; i < item.routes.size(); i++) {
      napi_value id;
      napi_create_uint32(env, item.routes[i], &id);
      napi_set_element(env, v, static_cast<uint32_t>(i), id);
    }
    napi_set_named_property(env, o, "routes", v);
  }
  return o;
}

napi_value NewItems(napi_env env, std::deque<Item>& items) {
  napi_value array;
  if (napi_create_array_with_length(env, items.size(), &array) != napi_ok) return nullptr;
  for (size_t i = 0; i < items.size(); i++) napi_set_element(env, array, static_cast<uint32_t>(i), NewItem(env, items[i]));
  return array;
}

void CallJs(napi_env env, napi_value callback, void* context, void*) {
  Pump* p = static_cast<Pump*>(context);
  if (env == nullptr || p->closed) return;
  std::deque<Item> items;
  {
    std::lock_guard<std::mutex> lock(p->mu);
    p->wake_posted = false;
    items.swap(p->outbox);
  }
  if (items.empty()) return;  // pumpDrain took them
  napi_value array = NewItems(env, items);
  napi_value undefined;
  napi_get_undefined(env, &undefined);
  if (array != nullptr) napi_call_function(env, undefined, callback, 1, &array, nullptr);
}

// Stops and joins the thread, closes the descriptors; the contexts' references go with DeleteRefs.
void Stop(Pump* p) {
  if (p->thread.joinable()) {
    p->stopping.store(true);
    const uint64_t one = 1;
    (void)!write(p->event_fd, &one, sizeof one);
    p->thread.join();
  }
  std::lock_guard<std::mutex> lock(p->mu);
  for (const auto& [dup, fd] : p->sockets) close(dup);
  p->sockets.clear();
  if (p->epoll_fd >= 0) close(p->epoll_fd);
  if (p->event_fd >= 0) close(p->event_fd);
  p->epoll_fd = p->event_fd = -1;
  p->outbox.clear();
  p->queued.clear();
}

void DeleteRefs(napi_env env, Pump* p) {
  for (auto& [ssrc, g] : p->ingresses) napi_delete_reference(env, g.receiver_ref);
  for (auto& [ssrc, list] : p->routes) {
    for (Route& r : list) {
      napi_delete_reference(env, r.sender_ref);
      close(r.fd);
    }
  }
  p->ingresses.clear();
  p->routes.clear();
  p->route_ingress.clear();
  if (p->callback != nullptr) napi_delete_reference(env, p->callback);
  p->callback = nullptr;
}

void OnEnvTeardown(void* arg) {
  Pump* p = static_cast<Pump*>(arg);
  p->hook_ran = true;
  Stop(p);
}

void Close(napi_env env, Pump* p) {
  if (p->closed) return;
  p->closed = true;
  Stop(p);
  if (!p->hook_ran) napi_remove_env_cleanup_hook(env, OnEnvTeardown, p);
  DeleteRefs(env, p);
  if (!p->tsfn_gone) napi_release_threadsafe_function(p->tsfn, napi_tsfn_abort);
}

// The pump is freed once both its external and its threadsafe function are gone.
void OnTsfnFinalize(napi_env env, void* data, void*) {
  Pump* p = static_cast<Pump*>(data);
  p->tsfn_gone = true;
  if (p->external_gone) delete p;
}

void OnExternalFinalize(napi_env env, void* data, void*) {
  Pump* p = static_cast<Pump*>(data);
  Close(env, p);
  p->magic = 0;
  p->external_gone = true;
  if (p->tsfn_gone) delete p;
}

// ---- argument reading: false when it threw

bool IsType(napi_env env, napi_value v, napi_valuetype want) {
  napi_valuetype t;
  return napi_typeof(env, v, &t) == napi_ok && t == want;
}

// An integer number in [0, max].
bool GetUint(napi_env env, napi_value v, double max, uint32_t* out) {
  double d;
  if (!IsType(env, v, napi_number) || napi_get_value_double(env, v, &d) != napi_ok) return false;
  if (!(d >= 0 && d <= max) || std::floor(d) != d) return false;
  *out = static_cast<uint32_t>(d);
  return true;
}

bool GetBool(napi_env env, napi_value v, bool* out) {
  return IsType(env, v, napi_boolean) && napi_get_value_bool(env, v, out) == napi_ok;
}

// The call's arguments and its open pump.
Pump* Args(napi_env env, napi_callback_info info, size_t want, napi_value* argv, const char* usage) {
  size_t argc = want;
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok) return Throw(env, usage), nullptr;
  if (argc < want) return Throw(env, usage), nullptr;
  void* data = nullptr;
  if (!IsType(env, argv[0], napi_external) || napi_get_value_external(env, argv[0], &data) != napi_ok ||
      static_cast<Pump*>(data)->magic != kPumpMagic) {
    char message[160];
    snprintf(message, sizeof message, "%s: not a pump (pumpCreate)", usage);
    return Throw(env, message), nullptr;
  }
  Pump* p = static_cast<Pump*>(data);
  if (p->closed) {
    char message[160];
    snprintf(message, sizeof message, "%s: the pump is closed", usage);
    return Throw(env, message), nullptr;
  }
  return p;
}

bool GetContext(napi_env env, napi_value v, bool receiver, SrtpSender** out) {
  return GetSender(env, v, out) && (*out)->receiver == receiver;
}

napi_value Undefined(napi_env env) {
  napi_value v;
  napi_get_undefined(env, &v);
  return v;
}

// pumpCreate(onItems, batchMs)
napi_value Create(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  NAPI_OK(napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
  const char* usage = "pumpCreate(onItems: function, batchMs: number 0..10000)";
  double batch_ms = -1;
  if (argc < 2 || !IsType(env, argv[0], napi_function) || !IsType(env, argv[1], napi_number) ||
      napi_get_value_double(env, argv[1], &batch_ms) != napi_ok || !(batch_ms >= 0 && batch_ms <= 10000)) {
    return Throw(env, usage);
  }
  Pump* p = new Pump();
  p->env = env;
  p->batch_ms = batch_ms;
  p->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
  p->event_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = p->event_fd;
  if (p->epoll_fd < 0 || p->event_fd < 0 || epoll_ctl(p->epoll_fd, EPOLL_CTL_ADD, p->event_fd, &ev) != 0) {
    Stop(p);
    delete p;
    return Throw(env, "pumpCreate: no epoll or eventfd");
  }
  napi_value name;
  NAPI_OK(napi_create_string_utf8(env, "ParleyMediaPump", NAPI_AUTO_LENGTH, &name));
  if (napi_create_threadsafe_function(env, argv[0], nullptr, name, 0, 1, p, OnTsfnFinalize, p, CallJs, &p->tsfn) != napi_ok) {
    Stop(p);
    delete p;
    return Throw(env, "pumpCreate: no threadsafe function");
  }
  napi_unref_threadsafe_function(env, p->tsfn);  // the pump never keeps the event loop alive
  napi_value external;
  if (napi_create_external(env, p, OnExternalFinalize, nullptr, &external) != napi_ok) {
    p->external_gone = true;  // the threadsafe function's finalizer frees it
    p->closed = true;
    Stop(p);
    napi_release_threadsafe_function(p->tsfn, napi_tsfn_abort);
    return Throw(env, "pumpCreate: out of memory");
  }
  napi_add_env_cleanup_hook(env, OnEnvTeardown, p);
  p->thread = std::thread(Loop, p);
  return external;
}

// pumpAddSocket(pump, fd)
napi_value AddSocket(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  const char* usage = "pumpAddSocket(pump, fd)";
  Pump* p = Args(env, info, 2, argv, usage);
  uint32_t fd;
  if (p == nullptr) return nullptr;
  if (!GetUint(env, argv[1], 0x7fffffff, &fd)) return Throw(env, "pumpAddSocket: fd must be a file descriptor (integer >= 0)");
  std::lock_guard<std::mutex> lock(p->mu);
  for (const auto& [dup, given] : p->sockets) {
    if (given == static_cast<int>(fd)) return Throw(env, "pumpAddSocket: fd is already added");
  }
  const int dup = fcntl(static_cast<int>(fd), F_DUPFD_CLOEXEC, 0);
  if (dup < 0) return Throw(env, "pumpAddSocket: fd is not an open descriptor");
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = dup;
  if (epoll_ctl(p->epoll_fd, EPOLL_CTL_ADD, dup, &ev) != 0) {
    close(dup);
    return Throw(env, "pumpAddSocket: fd cannot be polled");
  }
  p->sockets[dup] = static_cast<int>(fd);
  return nullptr;
}

// pumpRemoveSocket(pump, fd)
napi_value RemoveSocket(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  Pump* p = Args(env, info, 2, argv, "pumpRemoveSocket(pump, fd)");
  uint32_t fd;
  if (p == nullptr) return nullptr;
  if (!GetUint(env, argv[1], 0x7fffffff, &fd)) return Throw(env, "pumpRemoveSocket: fd must be a file descriptor (integer >= 0)");
  std::lock_guard<std::mutex> lock(p->mu);
  for (auto it = p->sockets.begin(); it != p->sockets.end(); ++it) {
    if (it->second == static_cast<int>(fd)) {
      epoll_ctl(p->epoll_fd, EPOLL_CTL_DEL, it->first, nullptr);
      close(it->first);
      p->sockets.erase(it);
      break;
    }
  }
  return nullptr;
}

// pumpSetIngress(pump, ssrc, payloadType, receiver, roc, lastSeq, audioLevelId, batch)
napi_value SetIngress(napi_env env, napi_callback_info info) {
  napi_value argv[8];
  Pump* p = Args(env, info, 8, argv, "pumpSetIngress(pump, ssrc, payloadType, receiver, roc, lastSeq, audioLevelId, batch)");
  if (p == nullptr) return nullptr;
  uint32_t ssrc, pt, roc, last, level;
  bool batch;
  SrtpSender* receiver;
  if (!GetUint(env, argv[1], 0xffffffff, &ssrc)) return Throw(env, "pumpSetIngress: ssrc must be a uint32");
  if (!GetUint(env, argv[2], 127, &pt)) return Throw(env, "pumpSetIngress: payloadType must be 0..127");
  if (!GetContext(env, argv[3], true, &receiver)) return Throw(env, "pumpSetIngress: receiver must be an srtpReceiver");
  if (!GetUint(env, argv[4], 0xffffffff, &roc)) return Throw(env, "pumpSetIngress: roc must be a uint32");
  if (!GetUint(env, argv[5], 65535, &last)) return Throw(env, "pumpSetIngress: lastSeq must be 0..65535");
  if (!GetUint(env, argv[6], 255, &level)) return Throw(env, "pumpSetIngress: audioLevelId must be 0..255 (0: none)");
  if (!GetBool(env, argv[7], &batch)) return Throw(env, "pumpSetIngress: batch must be a boolean");
  napi_ref ref;
  NAPI_OK(napi_create_reference(env, argv[3], 1, &ref));
  std::lock_guard<std::mutex> lock(p->mu);
  Ingress& g = p->ingresses[ssrc];
  if (g.receiver_ref != nullptr) napi_delete_reference(env, g.receiver_ref);
  g = Ingress{receiver, ref, static_cast<uint8_t>(pt), static_cast<uint8_t>(level), roc, static_cast<uint16_t>(last), batch, false};
  return nullptr;
}

// pumpRemoveIngress(pump, ssrc)
napi_value RemoveIngress(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  Pump* p = Args(env, info, 2, argv, "pumpRemoveIngress(pump, ssrc)");
  uint32_t ssrc;
  if (p == nullptr) return nullptr;
  if (!GetUint(env, argv[1], 0xffffffff, &ssrc)) return Throw(env, "pumpRemoveIngress: ssrc must be a uint32");
  std::lock_guard<std::mutex> lock(p->mu);
  auto found = p->ingresses.find(ssrc);
  if (found != p->ingresses.end()) {
    napi_delete_reference(env, found->second.receiver_ref);
    p->ingresses.erase(found);
  }
  return nullptr;
}

// pumpRelease(pump, ssrc, roc, lastSeq, batch)
napi_value Release(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  Pump* p = Args(env, info, 5, argv, "pumpRelease(pump, ssrc, roc, lastSeq, batch)");
  if (p == nullptr) return nullptr;
  uint32_t ssrc, roc, last;
  bool batch;
  if (!GetUint(env, argv[1], 0xffffffff, &ssrc)) return Throw(env, "pumpRelease: ssrc must be a uint32");
  if (!GetUint(env, argv[2], 0xffffffff, &roc)) return Throw(env, "pumpRelease: roc must be a uint32");
  if (!GetUint(env, argv[3], 65535, &last)) return Throw(env, "pumpRelease: lastSeq must be 0..65535");
  if (!GetBool(env, argv[4], &batch)) return Throw(env, "pumpRelease: batch must be a boolean");
  std::lock_guard<std::mutex> lock(p->mu);
  auto found = p->ingresses.find(ssrc);
  if (found == p->ingresses.end()) return Throw(env, "pumpRelease: no such ingress (pumpSetIngress)");
  Ingress& g = found->second;
  g.held = false;
  g.roc = roc;
  g.last_seq = static_cast<uint16_t>(last);
  g.batch = batch;
  return nullptr;
}

// PumpRouteParams (src/native/index.ts) into `out`; false when it threw.
bool ReadRouteParams(napi_env env, napi_value object, RouteParams* out, uint32_t* roc, uint16_t* last_seq) {
  if (!IsType(env, object, napi_object)) return Throw(env, "pumpArm: params must be an object (PumpRouteParams)"), false;
  struct Field {
    const char* name;
    double max;
    uint32_t value;
  } fields[] = {{"ssrc", 0xffffffff, 0},   {"payloadType", 127, 0},    {"seqDelta", 65535, 0},
                {"tsDelta", 0xffffffff, 0}, {"roc", 0xffffffff, 0},     {"lastSeq", 65535, 0},
                {"pictureCodec", 2, 0},     {"pictureIdDelta", 0xffffffff, 0}, {"tl0Delta", 0xffffffff, 0}};
  for (Field& f : fields) {
    napi_value v;
    if (napi_get_named_property(env, object, f.name, &v) != napi_ok || !GetUint(env, v, f.max, &f.value)) {
      char message[160];
      snprintf(message, sizeof message, "pumpArm: params.%s must be an integer 0..%.0f", f.name, f.max);
      return Throw(env, message), false;
    }
  }
  out->ssrc = fields[0].value;
  out->payload_type = static_cast<uint8_t>(fields[1].value);
  out->seq_delta = static_cast<uint16_t>(fields[2].value);
  out->ts_delta = fields[3].value;
  *roc = fields[4].value;
  *last_seq = static_cast<uint16_t>(fields[5].value);
  out->picture_codec = static_cast<uint8_t>(fields[6].value);
  out->picture_id_delta = fields[7].value;
  out->tl0_delta = static_cast<uint8_t>(fields[8].value);

  const char* ext_usage = "pumpArm: params.extensions must be an array of [id 1..255, kind 0 | 1 | 2] sorted by id";
  napi_value list;
  bool is_array = false;
  uint32_t count = 0;
  if (napi_get_named_property(env, object, "extensions", &list) != napi_ok || napi_is_array(env, list, &is_array) != napi_ok ||
      !is_array || napi_get_array_length(env, list, &count) != napi_ok || count > 16) {
    return Throw(env, ext_usage), false;
  }
  out->slots.clear();
  for (uint32_t i = 0; i < count; i++) {
    napi_value pair, id_value, kind_value;
    uint32_t length = 0, id, kind;
    if (napi_get_element(env, list, i, &pair) != napi_ok || napi_is_array(env, pair, &is_array) != napi_ok || !is_array ||
        napi_get_array_length(env, pair, &length) != napi_ok || length != 2 || napi_get_element(env, pair, 0, &id_value) != napi_ok ||
        napi_get_element(env, pair, 1, &kind_value) != napi_ok || !GetUint(env, id_value, 255, &id) || id < 1 ||
        !GetUint(env, kind_value, 2, &kind) || (!out->slots.empty() && id < out->slots.back().first)) {
      return Throw(env, ext_usage), false;
    }
    out->slots.emplace_back(static_cast<uint8_t>(id), static_cast<uint8_t>(kind));
  }

  napi_value mid;
  bool has_mid = false;
  out->has_mid = false;
  out->mid.clear();
  if (napi_has_named_property(env, object, "mid", &has_mid) == napi_ok && has_mid &&
      napi_get_named_property(env, object, "mid", &mid) == napi_ok && !IsType(env, mid, napi_undefined)) {
    uint8_t* bytes;
    size_t length;
    if (!GetBuffer(env, mid, &bytes, &length) || length > 255) return Throw(env, "pumpArm: params.mid must be a Buffer of at most 255 bytes"), false;
    out->has_mid = true;
    out->mid.assign(bytes, bytes + length);
  }
  return true;
}

// pumpArm(pump, routeId, ingressSsrc, sender, fd, sockaddr, params)
// pumpSetBatch(pump, ssrc, batch): whether the ingress's forwarded packets reach JavaScript in batches
napi_value SetBatch(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  Pump* p = Args(env, info, 3, argv, "pumpSetBatch(pump, ssrc, batch)");
  if (p == nullptr) return nullptr;
  uint32_t ssrc;
  bool batch;
  if (!GetUint(env, argv[1], 0xffffffff, &ssrc)) return Throw(env, "pumpSetBatch: ssrc must be a uint32");
  if (!GetBool(env, argv[2], &batch)) return Throw(env, "pumpSetBatch: batch must be a boolean");
  std::lock_guard<std::mutex> lock(p->mu);
  auto found = p->ingresses.find(ssrc);
  if (found == p->ingresses.end()) return Throw(env, "pumpSetBatch: no such ingress (pumpSetIngress)");
  found->second.batch = batch;
  return nullptr;
}

napi_value Arm(napi_env env, napi_callback_info info) {
  napi_value argv[7];
  const char* usage = "pumpArm(pump, routeId, ingressSsrc, sender, fd, sockaddr, params)";
  Pump* p = Args(env, info, 7, argv, usage);
  if (p == nullptr) return nullptr;
  Route r;
  if (!GetUint(env, argv[1], 0xffffffff, &r.id)) return Throw(env, "pumpArm: routeId must be a uint32");
  if (!GetUint(env, argv[2], 0xffffffff, &r.ingress_ssrc)) return Throw(env, "pumpArm: ingressSsrc must be a uint32");
  if (!GetContext(env, argv[3], false, &r.sender)) return Throw(env, "pumpArm: sender must be an srtpSender");
  Datagram to;
  if (!ReadDatagramTarget(env, argv[4], argv[5], "pumpArm: fd must be a descriptor and sockaddr a Buffer from udpAddress", &to)) return nullptr;
  if (!ReadRouteParams(env, argv[6], &r.params, &r.roc, &r.last_seq)) return nullptr;
  // a descriptor of the route's own: Node closing its socket cannot hand the number to another one
  r.fd = fcntl(to.fd, F_DUPFD_CLOEXEC, 0);
  if (r.fd < 0) return Throw(env, "pumpArm: cannot duplicate the socket descriptor");
  memcpy(&r.addr, to.addr, to.addr_length);
  r.addr_length = to.addr_length;
  NAPI_OK(napi_create_reference(env, argv[3], 1, &r.sender_ref));
  std::lock_guard<std::mutex> lock(p->mu);
  auto old = p->route_ingress.find(r.id);
  if (old != p->route_ingress.end()) {
    auto& list = p->routes[old->second];
    for (auto it = list.begin(); it != list.end(); ++it) {
      if (it->id == r.id) {
        napi_delete_reference(env, it->sender_ref);
        close(it->fd);
        list.erase(it);
        break;
      }
    }
  }
  p->route_ingress[r.id] = r.ingress_ssrc;
  p->routes[r.ingress_ssrc].push_back(std::move(r));
  return nullptr;
}

// pumpDisarm(pump, routeId): { roc, lastSeq } of the route, or undefined when it was not armed.
napi_value Disarm(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  Pump* p = Args(env, info, 2, argv, "pumpDisarm(pump, routeId)");
  uint32_t id;
  if (p == nullptr) return nullptr;
  if (!GetUint(env, argv[1], 0xffffffff, &id)) return Throw(env, "pumpDisarm: routeId must be a uint32");
  uint32_t roc = 0;
  uint16_t last = 0;
  {
    std::lock_guard<std::mutex> lock(p->mu);
    auto found = p->route_ingress.find(id);
    if (found == p->route_ingress.end()) return Undefined(env);
    auto& list = p->routes[found->second];
    for (auto it = list.begin(); it != list.end(); ++it) {
      if (it->id == id) {
        roc = it->roc;
        last = it->last_seq;
        napi_delete_reference(env, it->sender_ref);
        close(it->fd);
        list.erase(it);
        break;
      }
    }
    if (list.empty()) p->routes.erase(found->second);
    p->route_ingress.erase(found);
  }
  napi_value result, v;
  NAPI_OK(napi_create_object(env, &result));
  NAPI_OK(napi_create_uint32(env, roc, &v));
  NAPI_OK(napi_set_named_property(env, result, "roc", v));
  NAPI_OK(napi_create_uint32(env, last, &v));
  NAPI_OK(napi_set_named_property(env, result, "lastSeq", v));
  return result;
}

// pumpDrain(pump): every item not yet handed to JavaScript, queued or not, in arrival order.
napi_value Drain(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  Pump* p = Args(env, info, 1, argv, "pumpDrain(pump)");
  if (p == nullptr) return nullptr;
  std::deque<Item> items;
  {
    std::lock_guard<std::mutex> lock(p->mu);
    items.swap(p->outbox);
    for (Item& item : p->queued) items.push_back(std::move(item));
    p->queued.clear();
  }
  napi_value array = NewItems(env, items);
  if (array == nullptr) return Throw(env, "pumpDrain: out of memory");
  return array;
}

// pumpStats(pump)
napi_value GetStats(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  Pump* p = Args(env, info, 1, argv, "pumpStats(pump)");
  if (p == nullptr) return nullptr;
  Stats s;
  {
    std::lock_guard<std::mutex> lock(p->mu);
    s = p->stats;
  }
  const std::pair<const char*, double> fields[] = {{"received", s.received},         {"forwarded", s.forwarded},
                                                   {"sent", s.sent},                 {"sendFailures", s.send_failures},
                                                   {"authFailures", s.auth_failures}, {"held", s.held},
                                                   {"dropped", s.dropped}};
  napi_value result, v;
  NAPI_OK(napi_create_object(env, &result));
  for (const auto& [name, value] : fields) {
    NAPI_OK(napi_create_double(env, value, &v));
    NAPI_OK(napi_set_named_property(env, result, name, v));
  }
  return result;
}

// pumpClose(pump)
napi_value ClosePump(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  Pump* p = Args(env, info, 1, argv, "pumpClose(pump)");
  if (p == nullptr) return nullptr;
  Close(env, p);
  return nullptr;
}

}  // namespace

void InitMediaPump(napi_env env, napi_value exports) {
  SetFunction(env, exports, "pumpCreate", Create);
  SetFunction(env, exports, "pumpAddSocket", AddSocket);
  SetFunction(env, exports, "pumpRemoveSocket", RemoveSocket);
  SetFunction(env, exports, "pumpSetIngress", SetIngress);
  SetFunction(env, exports, "pumpRemoveIngress", RemoveIngress);
  SetFunction(env, exports, "pumpRelease", Release);
  SetFunction(env, exports, "pumpSetBatch", SetBatch);
  SetFunction(env, exports, "pumpArm", Arm);
  SetFunction(env, exports, "pumpDisarm", Disarm);
  SetFunction(env, exports, "pumpDrain", Drain);
  SetFunction(env, exports, "pumpStats", GetStats);
  SetFunction(env, exports, "pumpClose", ClosePump);
}

}  // namespace parley
