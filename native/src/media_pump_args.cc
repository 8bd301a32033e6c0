// The media pump's argument reading (media_pump_internal.h): each function is false (or nullptr)
// when it threw, with a message that names the call and what the argument must be.
#include <cmath>
#include <cstdio>

#include "addon.h"
#include "media_pump_internal.h"
#include "srtp.h"

namespace parley {
namespace pump {

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

}  // namespace pump
}  // namespace parley
