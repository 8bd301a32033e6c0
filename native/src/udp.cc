// Datagrams on a socket that Node's dgram opened and bound: the socket stays Node's (it receives,
// closes, owns the descriptor); this only sends, with one sendto and no dgram/libuv layer between.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <cerrno>
#include <cstring>
#include <string>

#include "addon.h"

namespace parley {

namespace {

// udpAddress(host: string, port: number): Buffer holding a sockaddr_in or sockaddr_in6, or
// undefined when host is not an IP literal.
napi_value Address(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  NAPI_OK(napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
  char host[64];
  size_t host_length = 0;
  int64_t port = -1;
  if (argc < 2 || napi_get_value_string_utf8(env, argv[0], host, sizeof host, &host_length) != napi_ok ||
      !GetInt(env, argv[1], &port) || port < 0 || port > 65535) {
    return Throw(env, "udpAddress(host, port)");
  }
  std::string h(host, host_length);
  const size_t pct = h.find('%');  // a zone index is not supported
  if (pct != std::string::npos) return nullptr;
  napi_value result;
  void* data = nullptr;
  sockaddr_in v4{};
  sockaddr_in6 v6{};
  if (inet_pton(AF_INET, h.c_str(), &v4.sin_addr) == 1) {
    v4.sin_family = AF_INET;
    v4.sin_port = htons(static_cast<uint16_t>(port));
    NAPI_OK(napi_create_buffer_copy(env, sizeof v4, &v4, &data, &result));
    return result;
  }
  if (inet_pton(AF_INET6, h.c_str(), &v6.sin6_addr) == 1) {
    v6.sin6_family = AF_INET6;
    v6.sin6_port = htons(static_cast<uint16_t>(port));
    NAPI_OK(napi_create_buffer_copy(env, sizeof v6, &v6, &data, &result));
    return result;
  }
  return nullptr;
}

// udpSend(fd, sockaddr, data): bytes sent or -errno.
napi_value Send(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  NAPI_OK(napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
  const char* usage = "udpSend(fd, sockaddr, data)";
  Datagram to;
  uint8_t* data;
  size_t length;
  if (argc < 3 || !ReadDatagramTarget(env, argv[0], argv[1], usage, &to)) return argc < 3 ? Throw(env, usage) : nullptr;
  if (!GetBuffer(env, argv[2], &data, &length)) return Throw(env, usage);
  return SendTo(env, to, data, length);
}

}  // namespace

bool ReadDatagramTarget(napi_env env, napi_value fd_value, napi_value addr_value, const char* usage, Datagram* out) {
  int64_t fd = -1;
  uint8_t* addr;
  size_t addr_length;
  if (!GetInt(env, fd_value, &fd) || fd < 0 || fd > 0x7fffffff || !GetBuffer(env, addr_value, &addr, &addr_length) ||
      (addr_length != sizeof(sockaddr_in) && addr_length != sizeof(sockaddr_in6))) {
    Throw(env, usage);
    return false;
  }
  *out = {static_cast<int>(fd), addr, static_cast<unsigned>(addr_length)};
  return true;
}

napi_value SendTo(napi_env env, const Datagram& to, const uint8_t* data, size_t length) {
  ssize_t sent = sendto(to.fd, data, length, MSG_DONTWAIT, static_cast<const sockaddr*>(to.addr), static_cast<socklen_t>(to.addr_length));
  napi_value result;
  NAPI_OK(napi_create_int64(env, sent < 0 ? -errno : sent, &result));
  return result;
}

void InitUdp(napi_env env, napi_value exports) {
  SetFunction(env, exports, "udpAddress", Address);
  SetFunction(env, exports, "udpSend", Send);
}

}  // namespace parley
