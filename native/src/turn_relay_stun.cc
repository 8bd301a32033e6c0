// STUN MESSAGE-INTEGRITY (RFC 8489 §14.5) for the TURN control plane: HMAC-SHA1 over a message
// up to the attribute, with the header's length field covering it. Node's createHmac costs about
// 3 us per call (a JavaScript object, a C++ object, an EVP fetch); this is one call into the low
// level SHA-1 (SHA-NI where the CPU has it) on the caller's bytes, nothing allocated. A pure
// function: the protocol core (src/turn/stun/integrity.ts) uses it when the addon is built.
#define OPENSSL_SUPPRESS_DEPRECATED  // SHA1_*: the low-level API has no per-call fetch
#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <cstring>

#include "turn_relay.h"

namespace parley {

namespace {

constexpr size_t kHeader = 20;
constexpr size_t kMacLength = 20;
constexpr size_t kBlock = 64;

// HMAC-SHA1(key, message[0, at) with bytes 2-3 = at + 24 - 20) into mac.
void IntegrityMac(const uint8_t* key, size_t key_length, const uint8_t* message, size_t at, uint8_t* mac) {
  uint8_t k[kBlock] = {};
  if (key_length > kBlock) {
    SHA1(key, key_length, k);
  } else {
    memcpy(k, key, key_length);
  }
  uint8_t pad[kBlock];
  for (size_t i = 0; i < kBlock; i++) pad[i] = k[i] ^ 0x36;
  const size_t length = at + 24 - kHeader;
  const uint8_t head[4] = {message[0], message[1], static_cast<uint8_t>(length >> 8), static_cast<uint8_t>(length)};
  SHA_CTX c;
  SHA1_Init(&c);
  SHA1_Update(&c, pad, kBlock);
  SHA1_Update(&c, head, 4);
  SHA1_Update(&c, message + 4, at - 4);
  uint8_t inner[kMacLength];
  SHA1_Final(inner, &c);
  for (size_t i = 0; i < kBlock; i++) pad[i] = k[i] ^ 0x5c;
  SHA1_Init(&c);
  SHA1_Update(&c, pad, kBlock);
  SHA1_Update(&c, inner, kMacLength);
  SHA1_Final(mac, &c);
  OPENSSL_cleanse(k, sizeof k);
  OPENSSL_cleanse(pad, sizeof pad);
}

// turnStunIntegrity(key, message, at, check): `at` is the offset of the MESSAGE-INTEGRITY
// attribute (its header already written). check: whether message[at + 4, at + 24) is the HMAC
// (constant time); else writes the HMAC there and returns true.
napi_value StunIntegrity(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  uint8_t *key, *message;
  size_t key_length, length;
  int64_t at = -1;
  bool check = false;
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok || argc < 4 || !GetBuffer(env, argv[0], &key, &key_length) ||
      key_length == 0 || !GetBuffer(env, argv[1], &message, &length) || !GetInt(env, argv[2], &at) ||
      napi_get_value_bool(env, argv[3], &check) != napi_ok || at < static_cast<int64_t>(kHeader) || at % 4 != 0 ||
      static_cast<size_t>(at) + 4 + kMacLength > length) {
    return Throw(env, "turnStunIntegrity(key, message, at, check)");
  }
  uint8_t mac[kMacLength];
  IntegrityMac(key, key_length, message, static_cast<size_t>(at), mac);
  uint8_t* field = message + at + 4;
  bool ok = true;
  if (check) {
    ok = CRYPTO_memcmp(mac, field, kMacLength) == 0;
  } else {
    memcpy(field, mac, kMacLength);
  }
  napi_value result;
  napi_get_boolean(env, ok, &result);
  return result;
}

}  // namespace

void InitTurnStun(napi_env env, napi_value exports) { SetFunction(env, exports, "turnStunIntegrity", StunIntegrity); }

}  // namespace parley
