#include "addon.h"

namespace parley {

napi_value Throw(napi_env env, const char* message) {
  napi_throw_type_error(env, "PARLEY_NATIVE", message);
  return nullptr;
}

bool GetBuffer(napi_env env, napi_value value, uint8_t** data, size_t* length) {
  bool is_buffer = false;
  if (napi_is_buffer(env, value, &is_buffer) != napi_ok || !is_buffer) return false;
  void* raw = nullptr;
  if (napi_get_buffer_info(env, value, &raw, length) != napi_ok) return false;
  *data = static_cast<uint8_t*>(raw);
  return true;
}

bool GetInt(napi_env env, napi_value value, int64_t* out) {
  return napi_get_value_int64(env, value, out) == napi_ok;
}

void SetFunction(napi_env env, napi_value exports, const char* name, napi_callback cb) {
  napi_value fn;
  if (napi_create_function(env, name, NAPI_AUTO_LENGTH, cb, nullptr, &fn) == napi_ok) {
    napi_set_named_property(env, exports, name, fn);
  }
}

}  // namespace parley

static napi_value Init(napi_env env, napi_value exports) {
  parley::InitSrtp(env, exports);
  parley::InitUdp(env, exports);
  parley::InitTurnRelay(env, exports);
  parley::InitMediaPump(env, exports);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
