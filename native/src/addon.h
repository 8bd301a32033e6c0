// Parley's native fast path: the per-packet work that Node cannot do cheaply (a cipher context
// reused across packets, a datagram sent on a known socket without the dgram layer). Everything
// else stays in TypeScript. See docs/adr/0008-native-fast-path.md.
#pragma once
#include <node_api.h>

#define NAPI_OK(call)                                                        \
  do {                                                                       \
    if ((call) != napi_ok) {                                                 \
      napi_throw_error(env, "PARLEY_NATIVE", "N-API call failed: " #call);   \
      return nullptr;                                                        \
    }                                                                        \
  } while (0)

namespace parley {

// Each file registers its functions on the module's exports.
void InitSrtp(napi_env env, napi_value exports);
void InitUdp(napi_env env, napi_value exports);
void InitTurnRelay(napi_env env, napi_value exports);
void InitMediaPump(napi_env env, napi_value exports);

// Helpers shared by the files.
napi_value Throw(napi_env env, const char* message);
bool GetBuffer(napi_env env, napi_value value, uint8_t** data, size_t* length);
bool GetInt(napi_env env, napi_value value, int64_t* out);
void SetFunction(napi_env env, napi_value exports, const char* name, napi_callback cb);

// Where a datagram goes: a socket descriptor Node opened and a sockaddr built by udpAddress.
struct Datagram {
  int fd;
  const void* addr;
  unsigned addr_length;
};
// Reads (fd, sockaddr) arguments; false when it threw (`usage` names the call).
bool ReadDatagramTarget(napi_env env, napi_value fd, napi_value sockaddr, const char* usage, Datagram* out);
// One sendto (MSG_DONTWAIT): the bytes sent, or -errno, as a JavaScript number.
napi_value SendTo(napi_env env, const Datagram& to, const uint8_t* data, size_t length);

}  // namespace parley
