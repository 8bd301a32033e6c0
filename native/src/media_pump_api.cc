// The media pump's JavaScript API (src/native/index.ts types it): pumpCreate ... pumpClose and the
// pump's lifecycle (close, environment teardown, finalizers). The pump's one mutex serialises these
// control calls and the thread's per-datagram work, so a control call's effect is exact from its
// return on (media_pump_internal.h).
#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cstring>

#include "addon.h"
#include "media_pump_internal.h"
#include "srtp.h"

namespace parley {
namespace pump {

namespace {

// What a route holds: its sender context's reference and its own socket descriptor.
void ReleaseRoute(napi_env env, Route& r) {
  napi_delete_reference(env, r.sender_ref);
  close(r.fd);
}

// Removes route `id` (the caller holds the pump's lock); false when it was not armed, else its
// outgoing rollover state in `roc` and `last`.
bool RemoveRoute(napi_env env, Pump* p, uint32_t id, uint32_t* roc, uint16_t* last) {
  auto found = p->route_ingress.find(id);
  if (found == p->route_ingress.end()) return false;
  auto ingress = p->routes.find(found->second);
  if (ingress != p->routes.end()) {
    auto& list = ingress->second;
    for (auto it = list.begin(); it != list.end(); ++it) {
      if (it->id != id) continue;
      *roc = it->roc;
      *last = it->last_seq;
      ReleaseRoute(env, *it);
      list.erase(it);
      break;
    }
    if (list.empty()) p->routes.erase(ingress);
  }
  p->route_ingress.erase(found);
  return true;
}

void DeleteRefs(napi_env env, Pump* p) {
  for (auto& [ssrc, g] : p->ingresses) napi_delete_reference(env, g.receiver_ref);
  for (auto& [ssrc, list] : p->routes) {
    for (Route& r : list) ReleaseRoute(env, r);
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

// pumpArm(pump, routeId, ingressSsrc, sender, fd, sockaddr, params)
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
  uint32_t roc;
  uint16_t last;
  RemoveRoute(env, p, r.id, &roc, &last);  // an arming with the same id is replaced
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
    if (!RemoveRoute(env, p, id, &roc, &last)) return Undefined(env);
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

}  // namespace pump

void InitMediaPump(napi_env env, napi_value exports) {
  SetFunction(env, exports, "pumpCreate", pump::Create);
  SetFunction(env, exports, "pumpAddSocket", pump::AddSocket);
  SetFunction(env, exports, "pumpRemoveSocket", pump::RemoveSocket);
  SetFunction(env, exports, "pumpSetIngress", pump::SetIngress);
  SetFunction(env, exports, "pumpRemoveIngress", pump::RemoveIngress);
  SetFunction(env, exports, "pumpRelease", pump::Release);
  SetFunction(env, exports, "pumpSetBatch", pump::SetBatch);
  SetFunction(env, exports, "pumpArm", pump::Arm);
  SetFunction(env, exports, "pumpDisarm", pump::Disarm);
  SetFunction(env, exports, "pumpDrain", pump::Drain);
  SetFunction(env, exports, "pumpStats", pump::GetStats);
  SetFunction(env, exports, "pumpClose", pump::ClosePump);
}

}  // namespace parley
