// The media pump's thread (media_pump_internal.h): epoll over dup'd sockets and an eventfd, the
// receive, the steady check, the forward to armed routes, the batching, and the delivery of every
// datagram to JavaScript in arrival order. Its JavaScript API is media_pump_api.cc.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <ctime>

#include "addon.h"
#include "media_pump_internal.h"
#include "srtp.h"

namespace parley {
namespace pump {

namespace {

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

}  // namespace

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

namespace {

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

}  // namespace

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

}  // namespace pump
}  // namespace parley
