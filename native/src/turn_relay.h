// TURN relay data plane (docs/adr/0009-native-turn-relay.md): the per-datagram work of UDP
// allocations, polled in the owning thread's libuv loop. The TypeScript control plane (src/turn)
// installs what may be relayed; everything the engine does not relay itself goes to JavaScript.
#pragma once
#include <netinet/in.h>
#include <sys/socket.h>
#include <uv.h>

#include <cstdint>
#include <cstring>
#include <unordered_map>
#include <vector>

#include "addon.h"

namespace parley {
namespace turn {

struct Engine;

enum class SockKind { kListen, kRelay };

// One descriptor polled by the engine; owned by the engine (closed with the handle).
struct Sock {
  uv_poll_t poll;
  Engine* engine;
  int fd;
  SockKind kind;
  uint32_t alloc;  // kRelay: the allocation; kListen: 0
  bool closing;
};

struct Permission {
  int family;
  uint8_t addr[16];
  double expires;  // ms since the epoch
};

struct Channel {
  uint16_t number;
  sockaddr_storage peer;
  socklen_t peer_length;
  double expires;
};

// Mirror of one UDP allocation's relay state, installed by the TypeScript runner.
struct Allocation {
  uint32_t id;
  Sock* relay4 = nullptr;
  Sock* relay6 = nullptr;
  sockaddr_storage client_addr{};
  socklen_t client_length = 0;
  std::vector<Permission> permissions;
  std::vector<Channel> channels;
  double rate = 0;  // bytes/s, 0 = unlimited
  double budget = 0;
  double budget_at = 0;
};

// A client's transport address as a map key: family, address (IPv4-mapped as IPv4), port.
struct ClientKey {
  uint8_t bytes[19];
  uint8_t length;
  bool operator==(const ClientKey& o) const { return length == o.length && memcmp(bytes, o.bytes, length) == 0; }
};

struct ClientKeyHash {
  size_t operator()(const ClientKey& k) const {
    uint64_t h = 1469598103934665603ULL;
    for (uint8_t i = 0; i < k.length; i++) h = (h ^ k.bytes[i]) * 1099511628211ULL;
    return static_cast<size_t>(h);
  }
};

// Counters read by the runner for parley_turn_* metrics.
enum Counter {
  kPacketsToPeer,
  kBytesToPeer,
  kPacketsToClient,
  kBytesToClient,
  kDropNoPermission,
  kDropBandwidth,
  kDropTruncated,
  kSendErrors,
  kCallbackErrors,
  kToJs,
  kCounterCount
};

struct Engine {
  napi_env env = nullptr;
  napi_ref callback = nullptr;
  napi_ref resource = nullptr;
  napi_async_context context = nullptr;
  napi_async_cleanup_hook_handle hook = nullptr;
  uv_loop_t* loop = nullptr;
  std::unordered_map<uint32_t, Allocation*> allocations;
  std::unordered_map<ClientKey, Allocation*, ClientKeyHash> by_client;
  Sock* listen4 = nullptr;
  Sock* listen6 = nullptr;
  double counters[kCounterCount] = {};
  int open_handles = 0;
  bool closed = false;
  bool finalized = false;
  uint8_t tid_base[12];
  uint32_t tid_counter = 0;
  // receive batch and the datagram being built (Data indication)
  std::vector<uint8_t> buffers;
  std::vector<mmsghdr> messages;
  std::vector<iovec> iovecs;
  std::vector<sockaddr_storage> sources;
  std::vector<uint8_t> out;
  // datagrams for JavaScript, gathered per batch: [tag, ip, port, buffer, ...]
  napi_handle_scope scope = nullptr;
  napi_value batch = nullptr;
  uint32_t batch_length = 0;
};

// turn_relay_io.cc: sockets, polling, the relay itself.
Sock* OpenSock(Engine* e, int fd, SockKind kind, uint32_t alloc);
void CloseSock(Sock* s);
void CloseEngine(Engine* e);
double NowMs();
// Takes `bytes` from the allocation's bandwidth budget (a token bucket of one second at its rate,
// refilled by the time since it was last spent): false when they do not fit (the datagram is dropped).
bool Spend(Allocation* a, size_t bytes, double now);
void MakeKey(const sockaddr_storage* a, ClientKey* key);
void FreeAllocation(Engine* e, Allocation* a);
bool ParseAddress(const char* ip, int port, sockaddr_storage* out, socklen_t* length);
void FormatAddress(const sockaddr_storage* a, char* ip, size_t ip_size, int* port);

}  // namespace turn

// turn_relay_stun.cc: turnStunIntegrity (registered by InitTurnRelay).
void InitTurnStun(napi_env env, napi_value exports);

}  // namespace parley
