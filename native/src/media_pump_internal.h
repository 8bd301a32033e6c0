// The media pump's state (media_pump.cc, media_pump_api.cc, media_pump_args.cc): what its thread and
// its JavaScript API share. One mutex serialises the control calls and the per-datagram work, so a
// control call's effect is exact from its return on. The per-packet rewrite (no state) is media_pump.h.
#pragma once
#include <node_api.h>
#include <sys/socket.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include "media_pump.h"
#include "srtp.h"

namespace parley {
namespace pump {

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

// ---- the thread (media_pump.cc)

// The thread's body: epoll over the pump's sockets and its eventfd until `stopping`.
void Loop(Pump* p);
// The threadsafe function's call on the JavaScript thread: hands the outbox to the callback.
void CallJs(napi_env env, napi_value callback, void* context, void*);
// The items as a JavaScript array, or nullptr when it cannot be created.
napi_value NewItems(napi_env env, std::deque<Item>& items);
// Stops and joins the thread, closes the descriptors; the contexts' references go with DeleteRefs.
void Stop(Pump* p);

// ---- argument reading (media_pump_args.cc): false (or nullptr) when it threw

bool IsType(napi_env env, napi_value v, napi_valuetype want);
// An integer number in [0, max].
bool GetUint(napi_env env, napi_value v, double max, uint32_t* out);
bool GetBool(napi_env env, napi_value v, bool* out);
// The call's arguments and its open pump.
Pump* Args(napi_env env, napi_callback_info info, size_t want, napi_value* argv, const char* usage);
bool GetContext(napi_env env, napi_value v, bool receiver, SrtpSender** out);
napi_value Undefined(napi_env env);
// PumpRouteParams (src/native/index.ts) into `out`; false when it threw.
bool ReadRouteParams(napi_env env, napi_value object, RouteParams* out, uint32_t* roc, uint16_t* last_seq);

}  // namespace pump
}  // namespace parley
