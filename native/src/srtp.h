// SRTP contexts (srtp.cc) shared with the files that protect or open packets off the JavaScript
// thread (media_pump.cc): a context keyed once per session, then per packet only the IV changes.
#pragma once
#include <node_api.h>
#include <openssl/evp.h>

#include <cstddef>
#include <cstdint>

namespace parley {

constexpr int kProfileGcm = 0;  // AEAD AES-128-GCM (RFC 7714)
constexpr int kProfileCm = 1;   // AES-CM-128 + HMAC-SHA1-80 (RFC 3711)
constexpr size_t kGcmTag = 16;
constexpr size_t kHmacTag = 10;

// One direction of one SRTP session (srtpSender or srtpReceiver in JavaScript). Not thread-safe:
// one thread at a time uses a context.
struct SrtpSender {
  int profile = kProfileGcm;
  bool receiver = false;  // keyed for decryption (GCM); AES-CM is the same keystream both ways
  uint8_t salt[14] = {};
  EVP_CIPHER_CTX* cipher = nullptr;
  EVP_MD_CTX* inner = nullptr;  // HMAC-SHA1 state after the key's inner pad (AES-CM only)
  EVP_MD_CTX* outer = nullptr;  // ... after the outer pad
  EVP_MD_CTX* scratch = nullptr;

  ~SrtpSender() {
    EVP_CIPHER_CTX_free(cipher);
    EVP_MD_CTX_free(inner);
    EVP_MD_CTX_free(outer);
    EVP_MD_CTX_free(scratch);
  }
  size_t tag() const { return profile == kProfileGcm ? kGcmTag : kHmacTag; }
};

inline uint32_t Read32(const uint8_t* p) { return (uint32_t(p[0]) << 24) | (p[1] << 16) | (p[2] << 8) | p[3]; }
inline void Write32(uint8_t* p, uint32_t v) {
  p[0] = v >> 24;
  p[1] = v >> 16;
  p[2] = v >> 8;
  p[3] = v;
}

// Encrypts buf[header, length - tag) in place and writes the tag at the end. False on a cipher error.
bool Seal(SrtpSender* s, uint8_t* buf, size_t length, size_t header, uint32_t roc);
// Opens buf[0, length) (header, encrypted payload, tag) in place: authenticates, then decrypts.
// Returns the length without the tag, or -1 when authentication fails.
long Open(SrtpSender* s, uint8_t* buf, size_t length, size_t header, uint32_t roc);
// The context behind a JavaScript srtpSender / srtpReceiver external; false for anything else.
bool GetSender(napi_env env, napi_value value, SrtpSender** out);

}  // namespace parley
