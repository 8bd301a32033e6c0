// JavaScript API of the TURN relay engine (src/native/turn-relay.ts types it). One engine per
// thread; every function takes the engine first and validates its arguments (a TypeError on bad
// ones); socket failures come back as -errno, never as exceptions.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <random>

#include "turn_relay.h"

namespace parley {

using turn::Allocation;
using turn::Engine;
using turn::Sock;
using turn::SockKind;

namespace {

constexpr uint32_t kEngineMagic = 0x7475726e;

struct Tagged {
  uint32_t magic;
  Engine* engine;
};

napi_value Int(napi_env env, int64_t v) {
  napi_value r;
  napi_create_int64(env, v, &r);
  return r;
}

bool GetString(napi_env env, napi_value v, char* out, size_t size) {
  size_t length = 0;
  return napi_get_value_string_utf8(env, v, out, size, &length) == napi_ok && length > 0 && length < size - 1;
}

bool GetDouble(napi_env env, napi_value v, double* out) { return napi_get_value_double(env, v, out) == napi_ok; }

// argv[0] must be an engine made by turnRelayCreate.
Engine* GetEngine(napi_env env, napi_callback_info info, size_t* argc, napi_value* argv) {
  if (napi_get_cb_info(env, info, argc, argv, nullptr, nullptr) != napi_ok || *argc < 1) return nullptr;
  napi_valuetype t;
  if (napi_typeof(env, argv[0], &t) != napi_ok || t != napi_external) return nullptr;
  void* raw = nullptr;
  if (napi_get_value_external(env, argv[0], &raw) != napi_ok || !raw) return nullptr;
  Tagged* tagged = static_cast<Tagged*>(raw);
  if (tagged->magic != kEngineMagic || tagged->engine->closed) return nullptr;
  return tagged->engine;
}

Allocation* GetAllocation(napi_env env, Engine* e, napi_value v) {
  int64_t id = -1;
  if (!GetInt(env, v, &id) || id <= 0 || id > 0xffffffffLL) return nullptr;
  auto it = e->allocations.find(static_cast<uint32_t>(id));
  return it == e->allocations.end() ? nullptr : it->second;
}

int OpenUdp(const sockaddr_storage* local, socklen_t length, bool reuse_port, int buffer, bool reuse_address) {
  const int fd = socket(local->ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -errno;
  const int one = 1;
  if (reuse_address) setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (reuse_port && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0) {
    const int err = errno;
    close(fd);
    return -err;
  }
  if (local->ss_family == AF_INET6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  if (buffer > 0) {
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buffer, sizeof buffer);
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buffer, sizeof buffer);
  }
  if (bind(fd, reinterpret_cast<const sockaddr*>(local), length) != 0) {
    const int err = errno;
    close(fd);
    return -err;
  }
  return fd;
}

void Finalize(napi_env env, void* data, void* hint) {
  Tagged* tagged = static_cast<Tagged*>(data);
  Engine* e = tagged->engine;
  tagged->magic = 0;
  delete tagged;
  e->finalized = true;
  turn::CloseEngine(e);
  if (e->open_handles == 0) {
    if (e->callback) napi_delete_reference(env, e->callback);
    if (e->resource) napi_delete_reference(env, e->resource);
    delete e;
  }
}

void OnEnvTeardown(napi_async_cleanup_hook_handle handle, void* arg) {
  Engine* e = static_cast<Engine*>(arg);
  turn::CloseEngine(e);  // removes the hook once the last handle has closed
}

// turnRelayCreate(onDatagrams): the engine of this thread.
napi_value Create(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  NAPI_OK(napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
  napi_valuetype t;
  if (argc < 1 || napi_typeof(env, argv[0], &t) != napi_ok || t != napi_function) return Throw(env, "turnRelayCreate(onDatagrams)");
  Engine* e = new Engine();
  e->env = env;
  if (napi_get_uv_event_loop(env, &e->loop) != napi_ok) {
    delete e;
    return Throw(env, "turnRelayCreate: no event loop");
  }
  std::random_device rd;
  for (auto& b : e->tid_base) b = static_cast<uint8_t>(rd());
  napi_value resource, name;
  NAPI_OK(napi_create_object(env, &resource));
  NAPI_OK(napi_create_string_utf8(env, "ParleyTurnRelay", NAPI_AUTO_LENGTH, &name));
  NAPI_OK(napi_async_init(env, resource, name, &e->context));
  NAPI_OK(napi_create_reference(env, argv[0], 1, &e->callback));
  NAPI_OK(napi_create_reference(env, resource, 1, &e->resource));
  NAPI_OK(napi_add_async_cleanup_hook(env, OnEnvTeardown, e, &e->hook));
  Tagged* tagged = new Tagged{kEngineMagic, e};
  napi_value external;
  NAPI_OK(napi_create_external(env, tagged, Finalize, nullptr, &external));
  return external;
}

// turnRelayListen(engine, ip, port, reusePort): the bound port, or -errno.
napi_value Listen(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  Engine* e = GetEngine(env, info, &argc, argv);
  char ip[64];
  int64_t port = -1;
  bool reuse = false;
  sockaddr_storage local;
  socklen_t length;
  if (!e || argc < 4 || !GetString(env, argv[1], ip, sizeof ip) || !GetInt(env, argv[2], &port) ||
      napi_get_value_bool(env, argv[3], &reuse) != napi_ok || !turn::ParseAddress(ip, static_cast<int>(port), &local, &length)) {
    return Throw(env, "turnRelayListen(engine, ip, port, reusePort)");
  }
  Sock*& slot = local.ss_family == AF_INET6 ? e->listen6 : e->listen4;
  if (slot) return Int(env, -EADDRINUSE);
  // port 0 (tests): a port of its own; SO_REUSEADDR there could share another socket's port
  const int fd = port == 0 ? OpenUdp(&local, length, false, 1 << 20, false) : OpenUdp(&local, length, reuse, 1 << 20, true);
  if (fd < 0) return Int(env, fd);
  sockaddr_storage bound;
  socklen_t bound_length = sizeof bound;
  getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &bound_length);
  char unused[64];
  int bound_port = 0;
  turn::FormatAddress(&bound, unused, sizeof unused, &bound_port);
  slot = turn::OpenSock(e, fd, SockKind::kListen, 0);
  if (!slot) {
    close(fd);
    return Int(env, -ENOMEM);
  }
  return Int(env, bound_port);
}

// Reads the (ip, port, data) arguments at argv[0..2] into a destination address and the data.
bool ReadAddressedData(napi_env env, napi_value* argv, uint8_t** data, size_t* length, sockaddr_storage* to, socklen_t* to_length) {
  char ip[64];
  int64_t port = -1;
  return GetString(env, argv[0], ip, sizeof ip) && GetInt(env, argv[1], &port) && GetBuffer(env, argv[2], data, length) &&
         turn::ParseAddress(ip, static_cast<int>(port), to, to_length);
}

// turnRelaySendFrom(engine, ip, port, data): one datagram from the listening socket; bytes or -errno.
napi_value SendFrom(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  Engine* e = GetEngine(env, info, &argc, argv);
  uint8_t* data;
  size_t length;
  sockaddr_storage to;
  socklen_t to_length;
  if (!e || argc < 4 || !ReadAddressedData(env, argv + 1, &data, &length, &to, &to_length)) {
    return Throw(env, "turnRelaySendFrom(engine, ip, port, data)");
  }
  Sock* l = to.ss_family == AF_INET6 ? e->listen6 : e->listen4;
  if (!l) return Int(env, -EAFNOSUPPORT);
  return SendTo(env, Datagram{l->fd, &to, to_length}, data, length);
}

// turnRelayBind(engine, ip, port): a non-blocking UDP socket bound to ip:port (a relay socket for
// turnRelayAdopt), its descriptor or -errno.
napi_value Bind(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  Engine* e = GetEngine(env, info, &argc, argv);
  char ip[64];
  int64_t port = -1;
  sockaddr_storage local;
  socklen_t length;
  if (!e || argc < 3 || !GetString(env, argv[1], ip, sizeof ip) || !GetInt(env, argv[2], &port) ||
      !turn::ParseAddress(ip, static_cast<int>(port), &local, &length)) {
    return Throw(env, "turnRelayBind(engine, ip, port)");
  }
  const int fd = socket(local.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return Int(env, -errno);
  const int one = 1;
  if (local.ss_family == AF_INET6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  if (bind(fd, reinterpret_cast<sockaddr*>(&local), length) != 0) {
    const int err = errno;
    close(fd);
    return Int(env, -err);
  }
  return Int(env, fd);
}

// turnRelayCloseFd(engine, fd): closes a descriptor from turnRelayBind that was not adopted.
napi_value CloseFd(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  int64_t fd = -1;
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok || argc < 2 || !GetInt(env, argv[1], &fd) || fd < 3 ||
      fd > 0x7fffffff) {
    return Throw(env, "turnRelayCloseFd(engine, fd)");
  }
  close(static_cast<int>(fd));
  return nullptr;
}

// turnRelayAdopt(engine, alloc, fd4, fd6, clientIp, clientPort, bytesPerSecond, own): the engine
// relays for the allocation through these relay sockets (-1 = none): its own descriptors when `own`
// (from turnRelayBind), else duplicates (of a dgram socket's, which the caller then closes); 0 or -errno.
napi_value Adopt(napi_env env, napi_callback_info info) {
  size_t argc = 8;
  napi_value argv[8];
  Engine* e = GetEngine(env, info, &argc, argv);
  int64_t id = -1, fd4 = -1, fd6 = -1, port = -1;
  double rate = 0;
  bool own = false;
  char ip[64];
  sockaddr_storage client;
  socklen_t client_length;
  if (!e || argc < 8 || napi_get_value_bool(env, argv[7], &own) != napi_ok || !GetInt(env, argv[1], &id) || id <= 0 || id > 0xffffffffLL || !GetInt(env, argv[2], &fd4) ||
      !GetInt(env, argv[3], &fd6) || !GetString(env, argv[4], ip, sizeof ip) || !GetInt(env, argv[5], &port) ||
      !GetDouble(env, argv[6], &rate) || rate < 0 || fd4 < -1 || fd6 < -1 || fd4 > 0x7fffffff || fd6 > 0x7fffffff ||
      !turn::ParseAddress(ip, static_cast<int>(port), &client, &client_length)) {
    return Throw(env, "turnRelayAdopt(engine, alloc, fd4, fd6, clientIp, clientPort, bytesPerSecond, own)");
  }
  const uint32_t key = static_cast<uint32_t>(id);
  if (e->allocations.count(key) || (fd4 < 0 && fd6 < 0)) return Int(env, -EEXIST);
  Allocation* a = new Allocation();
  a->id = key;
  a->client_addr = client;
  a->client_length = client_length;
  a->rate = rate;
  const int64_t fds[2] = {fd4, fd6};
  Sock** slots[2] = {&a->relay4, &a->relay6};
  int err = 0;
  for (int i = 0; i < 2; i++) {
    if (fds[i] < 0) continue;
    if (err != 0) {  // owned descriptors are the engine's whatever happens
      if (own) close(static_cast<int>(fds[i]));
      continue;
    }
    const int d = own ? static_cast<int>(fds[i]) : fcntl(static_cast<int>(fds[i]), F_DUPFD_CLOEXEC, 3);
    if (d < 0) {
      err = errno;
      continue;
    }
    *slots[i] = turn::OpenSock(e, d, SockKind::kRelay, key);
    if (!*slots[i]) {
      close(d);
      err = ENOMEM;
    }
  }
  if (err != 0) {
    turn::CloseSock(a->relay4);
    turn::CloseSock(a->relay6);
    delete a;
    return Int(env, -err);
  }
  e->allocations[key] = a;
  turn::ClientKey ck;
  turn::MakeKey(&client, &ck);
  e->by_client[ck] = a;
  return Int(env, 0);
}

// turnRelayToPeer(engine, alloc, ip, port, data): from the allocation's relay socket (a Send
// indication the runner accepted), spending the same bandwidth budget as the ChannelData the engine
// relays itself; bytes sent or -errno (-ENOBUFS: over the budget, dropped and counted).
napi_value ToPeer(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  Engine* e = GetEngine(env, info, &argc, argv);
  uint8_t* data;
  size_t length;
  sockaddr_storage to;
  socklen_t to_length;
  if (!e || argc < 5 || !ReadAddressedData(env, argv + 2, &data, &length, &to, &to_length)) {
    return Throw(env, "turnRelayToPeer(engine, alloc, ip, port, data)");
  }
  Allocation* a = GetAllocation(env, e, argv[1]);
  if (!a) return Int(env, -ENOENT);
  Sock* relay = to.ss_family == AF_INET6 ? a->relay6 : a->relay4;
  if (!relay) return Int(env, -EAFNOSUPPORT);
  if (!turn::Spend(a, length, turn::NowMs())) {
    e->counters[turn::kDropBandwidth]++;
    return Int(env, -ENOBUFS);
  }
  ssize_t sent = sendto(relay->fd, data, length, MSG_DONTWAIT, reinterpret_cast<const sockaddr*>(&to), to_length);
  if (sent < 0) {
    e->counters[turn::kSendErrors]++;
    return Int(env, -errno);
  }
  e->counters[turn::kPacketsToPeer]++;
  e->counters[turn::kBytesToPeer] += static_cast<double>(length);
  return Int(env, static_cast<int64_t>(sent));
}

// turnRelayInstall(engine, alloc, permissions: [ip, expiresMs, ...], channels: [number, ip, port,
// expiresMs, ...]): replaces what the engine may relay for the allocation (the runner has applied
// the peer policy and quotas). false when an entry is malformed (nothing is changed then).
napi_value Install(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  Engine* e = GetEngine(env, info, &argc, argv);
  bool is_array[2] = {false, false};
  if (!e || argc < 4 || napi_is_array(env, argv[2], &is_array[0]) != napi_ok || napi_is_array(env, argv[3], &is_array[1]) != napi_ok ||
      !is_array[0] || !is_array[1]) {
    return Throw(env, "turnRelayInstall(engine, alloc, permissions, channels)");
  }
  napi_value ok;
  napi_get_boolean(env, false, &ok);
  Allocation* a = GetAllocation(env, e, argv[1]);
  if (!a) return ok;
  uint32_t np = 0, nc = 0;
  napi_get_array_length(env, argv[2], &np);
  napi_get_array_length(env, argv[3], &nc);
  if (np % 2 != 0 || nc % 4 != 0 || np > 2 * 4096 || nc > 4 * 4096) return ok;
  std::vector<turn::Permission> permissions;
  std::vector<turn::Channel> channels;
  napi_value v;
  for (uint32_t i = 0; i < np; i += 2) {
    char ip[64];
    turn::Permission p{};
    sockaddr_storage s;
    socklen_t l;
    if (napi_get_element(env, argv[2], i, &v) != napi_ok || !GetString(env, v, ip, sizeof ip) || !turn::ParseAddress(ip, 0, &s, &l)) return ok;
    if (napi_get_element(env, argv[2], i + 1, &v) != napi_ok || !GetDouble(env, v, &p.expires)) return ok;
    if (s.ss_family == AF_INET) {
      p.family = 4;
      memcpy(p.addr, &reinterpret_cast<sockaddr_in*>(&s)->sin_addr, 4);
    } else {
      p.family = 6;
      memcpy(p.addr, &reinterpret_cast<sockaddr_in6*>(&s)->sin6_addr, 16);
    }
    permissions.push_back(p);
  }
  for (uint32_t i = 0; i < nc; i += 4) {
    char ip[64];
    int64_t number = -1, port = -1;
    turn::Channel c{};
    if (napi_get_element(env, argv[3], i, &v) != napi_ok || !GetInt(env, v, &number) || number < 0x4000 || number > 0x7fff) return ok;
    if (napi_get_element(env, argv[3], i + 1, &v) != napi_ok || !GetString(env, v, ip, sizeof ip)) return ok;
    if (napi_get_element(env, argv[3], i + 2, &v) != napi_ok || !GetInt(env, v, &port)) return ok;
    if (napi_get_element(env, argv[3], i + 3, &v) != napi_ok || !GetDouble(env, v, &c.expires)) return ok;
    if (!turn::ParseAddress(ip, static_cast<int>(port), &c.peer, &c.peer_length)) return ok;
    c.number = static_cast<uint16_t>(number);
    channels.push_back(c);
  }
  a->permissions.swap(permissions);
  a->channels.swap(channels);
  napi_get_boolean(env, true, &ok);
  return ok;
}

// turnRelayFree(engine, alloc): the allocation's sockets are closed.
napi_value Free(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  Engine* e = GetEngine(env, info, &argc, argv);
  if (!e || argc < 2) return Throw(env, "turnRelayFree(engine, alloc)");
  Allocation* a = GetAllocation(env, e, argv[1]);
  if (!a) return nullptr;
  turn::FreeAllocation(e, a);
  return nullptr;
}

// turnRelayStats(engine): the counters (turn::Counter order).
napi_value Stats(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  Engine* e = GetEngine(env, info, &argc, argv);
  if (!e) return Throw(env, "turnRelayStats(engine)");
  napi_value result;
  NAPI_OK(napi_create_array_with_length(env, turn::kCounterCount, &result));
  for (int i = 0; i < turn::kCounterCount; i++) {
    napi_value v;
    NAPI_OK(napi_create_double(env, e->counters[i], &v));
    NAPI_OK(napi_set_element(env, result, i, v));
  }
  return result;
}

// turnRelayClose(engine): every socket closed; the engine refuses further calls.
napi_value Close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  Engine* e = GetEngine(env, info, &argc, argv);
  if (e) turn::CloseEngine(e);
  return nullptr;
}

}  // namespace

void InitTurnRelay(napi_env env, napi_value exports) {
  SetFunction(env, exports, "turnRelayCreate", Create);
  SetFunction(env, exports, "turnRelayListen", Listen);
  SetFunction(env, exports, "turnRelaySendFrom", SendFrom);
  SetFunction(env, exports, "turnRelayBind", Bind);
  SetFunction(env, exports, "turnRelayCloseFd", CloseFd);
  SetFunction(env, exports, "turnRelayAdopt", Adopt);
  SetFunction(env, exports, "turnRelayToPeer", ToPeer);
  SetFunction(env, exports, "turnRelayInstall", Install);
  SetFunction(env, exports, "turnRelayFree", Free);
  SetFunction(env, exports, "turnRelayStats", Stats);
  SetFunction(env, exports, "turnRelayClose", Close);
  InitTurnStun(env, exports);
}

}  // namespace parley
