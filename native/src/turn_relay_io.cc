// The TURN relay engine's data path: recvmmsg batches on the polled descriptors, ChannelData and
// Data indications relayed in C++, every other datagram handed to JavaScript once per batch.
// Every length is checked before it is read: a datagram is untrusted input.
#include <arpa/inet.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>

#include "turn_relay.h"

namespace parley {
namespace turn {

namespace {

constexpr int kBatch = 32;
constexpr size_t kMaxDatagram = 65536;
constexpr uint32_t kMagicCookie = 0x2112A442;

void OnClosed(uv_handle_t* h) {
  Sock* s = static_cast<Sock*>(h->data);
  Engine* e = s->engine;
  close(s->fd);
  delete s;
  if (--e->open_handles == 0 && e->closed) {
    if (e->hook) {
      napi_remove_async_cleanup_hook(e->hook);
      e->hook = nullptr;
    }
    std::vector<uint8_t>().swap(e->buffers);
    if (e->finalized) delete e;
  }
}

bool SameAddress(const sockaddr_storage* a, const sockaddr_storage* b) {
  if (a->ss_family != b->ss_family) return false;
  if (a->ss_family == AF_INET) {
    auto x = reinterpret_cast<const sockaddr_in*>(a);
    auto y = reinterpret_cast<const sockaddr_in*>(b);
    return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
  }
  auto x = reinterpret_cast<const sockaddr_in6*>(a);
  auto y = reinterpret_cast<const sockaddr_in6*>(b);
  return x->sin6_port == y->sin6_port && memcmp(&x->sin6_addr, &y->sin6_addr, 16) == 0;
}

// IPv4-mapped IPv6 sources (dual-stack sockets) compare as IPv4, as the TypeScript side sees them.
void Canonical(const sockaddr_storage* a, int* family, const uint8_t** addr) {
  if (a->ss_family == AF_INET) {
    *family = 4;
    *addr = reinterpret_cast<const uint8_t*>(&reinterpret_cast<const sockaddr_in*>(a)->sin_addr);
    return;
  }
  const uint8_t* b = reinterpret_cast<const uint8_t*>(&reinterpret_cast<const sockaddr_in6*>(a)->sin6_addr);
  static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (memcmp(b, mapped, 12) == 0) {
    *family = 4;
    *addr = b + 12;
  } else {
    *family = 6;
    *addr = b;
  }
}

bool Permitted(Allocation* a, const sockaddr_storage* from, double now) {
  int family;
  const uint8_t* addr;
  Canonical(from, &family, &addr);
  for (const Permission& p : a->permissions) {
    if (p.family == family && p.expires > now && memcmp(p.addr, addr, family == 4 ? 4 : 16) == 0) return true;
  }
  return false;
}

// Queue a datagram for JavaScript: [tag, ip, port, buffer] appended to this batch's array.
void ToJs(Engine* e, uint32_t tag, const sockaddr_storage* from, const uint8_t* data, size_t length) {
  napi_env env = e->env;
  if (!e->batch) {
    if (napi_open_handle_scope(env, &e->scope) != napi_ok) return;
    if (napi_create_array(env, &e->batch) != napi_ok) {
      napi_close_handle_scope(env, e->scope);
      e->scope = nullptr;
      e->batch = nullptr;
      return;
    }
    e->batch_length = 0;
  }
  char ip[INET6_ADDRSTRLEN];
  int port = 0;
  FormatAddress(from, ip, sizeof ip, &port);
  napi_value v[4];
  void* copy;
  if (napi_create_uint32(env, tag, &v[0]) != napi_ok || napi_create_string_utf8(env, ip, NAPI_AUTO_LENGTH, &v[1]) != napi_ok ||
      napi_create_int32(env, port, &v[2]) != napi_ok || napi_create_buffer_copy(env, length, data, &copy, &v[3]) != napi_ok) {
    return;
  }
  for (int i = 0; i < 4; i++) napi_set_element(env, e->batch, e->batch_length++, v[i]);
  e->counters[kToJs]++;
}

void FlushToJs(Engine* e) {
  if (!e->batch) return;
  napi_env env = e->env;
  napi_value cb, recv, result;
  if (!e->closed && napi_get_reference_value(env, e->callback, &cb) == napi_ok &&
      napi_get_reference_value(env, e->resource, &recv) == napi_ok) {
    napi_value argv[1] = {e->batch};
    if (napi_make_callback(env, e->context, recv, cb, 1, argv, &result) == napi_pending_exception) {
      // a throwing handler is a bug of the runner, not a reason to take the process down here
      napi_value ignored;
      napi_get_and_clear_last_exception(env, &ignored);
      e->counters[kCallbackErrors]++;
    }
  }
  napi_close_handle_scope(env, e->scope);
  e->scope = nullptr;
  e->batch = nullptr;
  e->batch_length = 0;
}

void SendToClient(Engine* e, Allocation* a, const iovec* iov, int count, size_t bytes) {
  msghdr m{};
  m.msg_iov = const_cast<iovec*>(iov);
  m.msg_iovlen = count;
  Sock* l = a->client_addr.ss_family == AF_INET6 ? e->listen6 : e->listen4;
  if (!l) {
    e->counters[kSendErrors]++;
    return;
  }
  m.msg_name = &a->client_addr;
  m.msg_namelen = a->client_length;
  if (sendmsg(l->fd, &m, MSG_DONTWAIT) < 0) {
    e->counters[kSendErrors]++;
    return;
  }
  e->counters[kPacketsToClient]++;
  e->counters[kBytesToClient] += static_cast<double>(bytes);
}

// A datagram from a peer at the relay socket of `a` (RFC 8656 §11.3 / §12.4).
void FromPeer(Engine* e, Allocation* a, const sockaddr_storage* from, const uint8_t* data, size_t length, double now) {
  if (!Permitted(a, from, now)) {
    e->counters[kDropNoPermission]++;
    return;
  }
  if (!Spend(a, length, now)) {
    e->counters[kDropBandwidth]++;
    return;
  }
  for (const Channel& c : a->channels) {
    if (c.expires > now && SameAddress(&c.peer, from)) {
      uint8_t head[4] = {static_cast<uint8_t>(c.number >> 8), static_cast<uint8_t>(c.number),
                         static_cast<uint8_t>(length >> 8), static_cast<uint8_t>(length)};
      iovec iov[2] = {{head, 4}, {const_cast<uint8_t*>(data), length}};
      SendToClient(e, a, iov, 2, length);
      return;
    }
  }
  // Data indication: header, XOR-PEER-ADDRESS, DATA (padded), no FINGERPRINT (as the TypeScript path)
  if (length > kMaxDatagram - 64) {
    e->counters[kDropTruncated]++;
    return;
  }
  int family;
  const uint8_t* addr;
  Canonical(from, &family, &addr);
  const size_t alen = family == 4 ? 8 : 20;
  const size_t padded = (length + 3) & ~static_cast<size_t>(3);
  const size_t body = 4 + alen + 4 + padded;
  uint8_t* o = e->out.data();
  o[0] = 0x00;
  o[1] = 0x17;
  o[2] = static_cast<uint8_t>(body >> 8);
  o[3] = static_cast<uint8_t>(body);
  o[4] = 0x21, o[5] = 0x12, o[6] = 0xA4, o[7] = 0x42;
  memcpy(o + 8, e->tid_base, 8);
  const uint32_t n = ++e->tid_counter;
  o[16] = static_cast<uint8_t>(n >> 24), o[17] = static_cast<uint8_t>(n >> 16), o[18] = static_cast<uint8_t>(n >> 8), o[19] = static_cast<uint8_t>(n);
  uint8_t* p = o + 20;
  p[0] = 0x00, p[1] = 0x12, p[2] = 0x00, p[3] = static_cast<uint8_t>(alen);
  p[4] = 0x00, p[5] = family == 4 ? 0x01 : 0x02;
  const uint16_t port = ntohs(from->ss_family == AF_INET ? reinterpret_cast<const sockaddr_in*>(from)->sin_port
                                                         : reinterpret_cast<const sockaddr_in6*>(from)->sin6_port);
  const uint16_t xport = port ^ (kMagicCookie >> 16);
  p[6] = static_cast<uint8_t>(xport >> 8), p[7] = static_cast<uint8_t>(xport);
  const uint8_t* key = o + 4;  // magic cookie then transaction id
  for (size_t i = 0; i < (family == 4 ? 4u : 16u); i++) p[8 + i] = addr[i] ^ key[i];
  p += 4 + alen;
  p[0] = 0x00, p[1] = 0x13, p[2] = static_cast<uint8_t>(length >> 8), p[3] = static_cast<uint8_t>(length);
  memcpy(p + 4, data, length);
  memset(p + 4 + length, 0, padded - length);
  iovec iov[1] = {{o, 20 + body}};
  SendToClient(e, a, iov, 1, length);
}

// ChannelData from the allocation's client (RFC 8656 §12.6): true when relayed or dropped here.
bool FromClient(Engine* e, Allocation* a, const uint8_t* data, size_t length, double now) {
  if (length < 4 || data[0] < 0x40 || data[0] > 0x7f) return false;
  const uint16_t number = static_cast<uint16_t>(data[0] << 8 | data[1]);
  const size_t len = static_cast<size_t>(data[2] << 8 | data[3]);
  if (4 + len > length) return false;  // the runner counts the drop with its reason
  for (const Channel& c : a->channels) {
    if (c.number != number || c.expires <= now) continue;
    if (!Spend(a, len, now)) {
      e->counters[kDropBandwidth]++;
      return true;
    }
    Sock* relay = c.peer.ss_family == AF_INET6 ? a->relay6 : a->relay4;
    if (!relay) return false;
    if (sendto(relay->fd, data + 4, len, MSG_DONTWAIT, reinterpret_cast<const sockaddr*>(&c.peer), c.peer_length) < 0) {
      e->counters[kSendErrors]++;
      return true;
    }
    e->counters[kPacketsToPeer]++;
    e->counters[kBytesToPeer] += static_cast<double>(len);
    return true;
  }
  return false;
}

void OnReadable(uv_poll_t* h, int status, int events) {
  Sock* s = static_cast<Sock*>(h->data);
  Engine* e = s->engine;
  if (status < 0 || s->closing || e->closed) return;
  const int fd = s->fd;
  const SockKind kind = s->kind;
  const uint32_t tag = s->alloc;  // JavaScript runs after the loop: the allocation cannot go meanwhile
  for (int round = 0; round < 8; round++) {
    for (int i = 0; i < kBatch; i++) {
      e->messages[i].msg_hdr.msg_namelen = sizeof(sockaddr_storage);
      e->messages[i].msg_hdr.msg_flags = 0;
      e->iovecs[i].iov_len = kMaxDatagram;
    }
    const int n = recvmmsg(fd, e->messages.data(), kBatch, MSG_DONTWAIT, nullptr);
    if (n <= 0) break;
    const double now = NowMs();
    for (int i = 0; i < n; i++) {
      const mmsghdr& m = e->messages[i];
      const uint8_t* data = static_cast<const uint8_t*>(e->iovecs[i].iov_base);
      const size_t length = m.msg_len;
      const sockaddr_storage* from = &e->sources[i];
      if (m.msg_hdr.msg_flags & MSG_TRUNC) {
        e->counters[kDropTruncated]++;
        continue;
      }
      if (kind == SockKind::kListen) {
        // ChannelData of a client with an allocation here is relayed; everything else is for JavaScript
        Allocation* a = nullptr;
        if (length >= 4 && data[0] >= 0x40 && data[0] <= 0x7f) {
          ClientKey key;
          MakeKey(from, &key);
          auto c = e->by_client.find(key);
          if (c != e->by_client.end()) a = c->second;
        }
        if (!a || !FromClient(e, a, data, length, now)) ToJs(e, 0, from, data, length);
        continue;
      }
      auto it = e->allocations.find(tag);
      if (it == e->allocations.end()) break;
      FromPeer(e, it->second, from, data, length, now);
    }
    if (n < kBatch) break;
  }
  FlushToJs(e);
}

}  // namespace

bool Spend(Allocation* a, size_t bytes, double now) {
  if (a->rate <= 0) return true;
  a->budget = std::min(a->rate, a->budget + (now - a->budget_at) / 1000 * a->rate);
  a->budget_at = now;
  if (a->budget < static_cast<double>(bytes)) return false;
  a->budget -= static_cast<double>(bytes);
  return true;
}

void MakeKey(const sockaddr_storage* a, ClientKey* key) {
  int family;
  const uint8_t* addr;
  Canonical(a, &family, &addr);
  const size_t n = family == 4 ? 4 : 16;
  key->bytes[0] = static_cast<uint8_t>(family);
  memcpy(key->bytes + 1, addr, n);
  const uint16_t port = a->ss_family == AF_INET ? reinterpret_cast<const sockaddr_in*>(a)->sin_port
                                                : reinterpret_cast<const sockaddr_in6*>(a)->sin6_port;
  memcpy(key->bytes + 1 + n, &port, 2);
  key->length = static_cast<uint8_t>(3 + n);
}

void FreeAllocation(Engine* e, Allocation* a) {
  ClientKey key;
  MakeKey(&a->client_addr, &key);
  auto c = e->by_client.find(key);
  if (c != e->by_client.end() && c->second == a) e->by_client.erase(c);
  e->allocations.erase(a->id);
  CloseSock(a->relay4);
  CloseSock(a->relay6);
  delete a;
}

double NowMs() {
  timespec t;
  clock_gettime(CLOCK_REALTIME, &t);
  return static_cast<double>(t.tv_sec) * 1000 + static_cast<double>(t.tv_nsec) / 1e6;
}

bool ParseAddress(const char* ip, int port, sockaddr_storage* out, socklen_t* length) {
  memset(out, 0, sizeof *out);
  if (port < 0 || port > 65535) return false;
  auto v4 = reinterpret_cast<sockaddr_in*>(out);
  if (inet_pton(AF_INET, ip, &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<uint16_t>(port));
    *length = sizeof(sockaddr_in);
    return true;
  }
  auto v6 = reinterpret_cast<sockaddr_in6*>(out);
  if (inet_pton(AF_INET6, ip, &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<uint16_t>(port));
    *length = sizeof(sockaddr_in6);
    return true;
  }
  return false;
}

void FormatAddress(const sockaddr_storage* a, char* ip, size_t ip_size, int* port) {
  ip[0] = 0;
  *port = 0;
  int family;
  const uint8_t* addr;
  Canonical(a, &family, &addr);
  inet_ntop(family == 4 ? AF_INET : AF_INET6, addr, ip, static_cast<socklen_t>(ip_size));
  *port = ntohs(a->ss_family == AF_INET ? reinterpret_cast<const sockaddr_in*>(a)->sin_port
                                        : reinterpret_cast<const sockaddr_in6*>(a)->sin6_port);
}

Sock* OpenSock(Engine* e, int fd, SockKind kind, uint32_t alloc) {
  if (e->buffers.empty()) {
    e->buffers.resize(static_cast<size_t>(kBatch) * kMaxDatagram);
    e->messages.assign(kBatch, mmsghdr{});
    e->iovecs.assign(kBatch, iovec{});
    e->sources.assign(kBatch, sockaddr_storage{});
    e->out.resize(kMaxDatagram + 64);
    for (int i = 0; i < kBatch; i++) {
      e->iovecs[i].iov_base = e->buffers.data() + static_cast<size_t>(i) * kMaxDatagram;
      e->messages[i].msg_hdr.msg_iov = &e->iovecs[i];
      e->messages[i].msg_hdr.msg_iovlen = 1;
      e->messages[i].msg_hdr.msg_name = &e->sources[i];
    }
  }
  Sock* s = new Sock{};
  s->engine = e;
  s->fd = fd;
  s->kind = kind;
  s->alloc = alloc;
  if (uv_poll_init(e->loop, &s->poll, fd) != 0) {
    delete s;
    return nullptr;
  }
  s->poll.data = s;
  e->open_handles++;
  uv_poll_start(&s->poll, UV_READABLE, OnReadable);
  return s;
}

void CloseSock(Sock* s) {
  if (!s || s->closing) return;
  s->closing = true;
  uv_poll_stop(&s->poll);
  uv_close(reinterpret_cast<uv_handle_t*>(&s->poll), OnClosed);
}

void CloseEngine(Engine* e) {
  if (e->closed) return;
  e->closed = true;
  for (auto& [id, a] : e->allocations) {
    CloseSock(a->relay4);
    CloseSock(a->relay6);
    delete a;
  }
  e->allocations.clear();
  e->by_client.clear();
  CloseSock(e->listen4);
  CloseSock(e->listen6);
  e->listen4 = e->listen6 = nullptr;
  if (e->open_handles == 0 && e->hook) {
    napi_remove_async_cleanup_hook(e->hook);
    e->hook = nullptr;
  }
}

}  // namespace turn
}  // namespace parley
