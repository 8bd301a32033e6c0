// SRTP protection of outgoing RTP and its removal from incoming RTP (RFC 3711 AES-CM + HMAC-SHA1-80, RFC 7714 AEAD AES-128-GCM) with
// the cipher and HMAC states keyed once per session: per packet only the IV changes. Byte for byte
// the output of src/media/engine/srtp-send.ts (the TypeScript path, kept as the fallback and as the
// reference the unit tests compare with).
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <cerrno>
#include <cstring>

#include "addon.h"
#include "srtp.h"

namespace parley {

namespace {

void Finalize(napi_env, void* data, void*) { delete static_cast<SrtpSender*>(data); }

// RFC 7714 8.1: IV = (00 00 || SSRC || ROC || SEQ) XOR salt
void GcmIv(const SrtpSender* s, const uint8_t* packet, uint32_t roc, uint8_t iv[12]) {
  iv[0] = iv[1] = 0;
  memcpy(iv + 2, packet + 8, 4);
  Write32(iv + 6, roc);
  iv[10] = packet[2];
  iv[11] = packet[3];
  for (int i = 0; i < 12; i++) iv[i] ^= s->salt[i];
}

// RFC 3711 4.1.1: IV = (k_s * 2^16) XOR (SSRC * 2^64) XOR (i * 2^16), i = ROC * 2^16 + SEQ
void CmIv(const SrtpSender* s, const uint8_t* packet, uint32_t roc, uint8_t iv[16]) {
  memset(iv, 0, 16);
  memcpy(iv + 4, packet + 8, 4);
  Write32(iv + 8, roc);
  iv[12] = packet[2];
  iv[13] = packet[3];
  for (int i = 0; i < 14; i++) iv[i] ^= s->salt[i];
}

// RFC 3711 4.2: HMAC-SHA1(auth key, header || encrypted payload || ROC) from the prepared pads.
bool HmacTag(SrtpSender* s, const uint8_t* authenticated, size_t length, uint32_t roc, uint8_t digest[EVP_MAX_MD_SIZE]) {
  uint8_t roc_bytes[4];
  Write32(roc_bytes, roc);
  unsigned int dlen = 0;
  return EVP_MD_CTX_copy_ex(s->scratch, s->inner) == 1 && EVP_DigestUpdate(s->scratch, authenticated, length) == 1 &&
         EVP_DigestUpdate(s->scratch, roc_bytes, 4) == 1 && EVP_DigestFinal_ex(s->scratch, digest, &dlen) == 1 &&
         EVP_MD_CTX_copy_ex(s->scratch, s->outer) == 1 && EVP_DigestUpdate(s->scratch, digest, dlen) == 1 &&
         EVP_DigestFinal_ex(s->scratch, digest, &dlen) == 1;
}

// AES-CM keystream over buf[header, header + plain) in place (encryption and decryption alike).
bool CmCrypt(SrtpSender* s, uint8_t* buf, size_t header, size_t plain, uint32_t roc) {
  uint8_t iv[16];
  CmIv(s, buf, roc, iv);
  int outl = 0;
  return EVP_EncryptInit_ex(s->cipher, nullptr, nullptr, nullptr, iv) == 1 &&
         (plain == 0 || EVP_EncryptUpdate(s->cipher, buf + header, &outl, buf + header, static_cast<int>(plain)) == 1);
}

// AES-GCM: the IV, the header as additional data, the payload through the cipher in place, in the
// context's own direction (a sender encrypts, a receiver decrypts); the caller finishes the tag.
bool GcmCrypt(SrtpSender* s, uint8_t* buf, size_t header, size_t plain, uint32_t roc) {
  uint8_t iv[12];
  GcmIv(s, buf, roc, iv);
  int outl = 0;
  return EVP_CipherInit_ex(s->cipher, nullptr, nullptr, nullptr, iv, -1) == 1 &&
         EVP_CipherUpdate(s->cipher, nullptr, &outl, buf, static_cast<int>(header)) == 1 &&
         (plain == 0 || EVP_CipherUpdate(s->cipher, buf + header, &outl, buf + header, static_cast<int>(plain)) == 1);
}

SrtpSender* NewSender(int profile, const uint8_t* key, const uint8_t* salt, size_t salt_length, const uint8_t* auth,
                      size_t auth_length, bool receiver) {
  auto* s = new SrtpSender();
  s->profile = profile;
  s->receiver = receiver;
  s->cipher = EVP_CIPHER_CTX_new();
  const EVP_CIPHER* cipher = profile == kProfileGcm ? EVP_aes_128_gcm() : EVP_aes_128_ctr();
  bool ok = s->cipher != nullptr &&
            (receiver && profile == kProfileGcm ? EVP_DecryptInit_ex(s->cipher, cipher, nullptr, key, nullptr)
                                                : EVP_EncryptInit_ex(s->cipher, cipher, nullptr, key, nullptr)) == 1;
  memcpy(s->salt, salt, salt_length);
  if (ok && profile == kProfileCm) {
    uint8_t k[20];
    memcpy(k, auth, auth_length);
    uint8_t ipad[64], opad[64];
    memset(ipad, 0x36, 64);
    memset(opad, 0x5c, 64);
    for (size_t i = 0; i < auth_length; i++) {
      ipad[i] ^= k[i];
      opad[i] ^= k[i];
    }
    s->inner = EVP_MD_CTX_new();
    s->outer = EVP_MD_CTX_new();
    s->scratch = EVP_MD_CTX_new();
    ok = s->inner && s->outer && s->scratch && EVP_DigestInit_ex(s->inner, EVP_sha1(), nullptr) == 1 &&
         EVP_DigestUpdate(s->inner, ipad, 64) == 1 && EVP_DigestInit_ex(s->outer, EVP_sha1(), nullptr) == 1 &&
         EVP_DigestUpdate(s->outer, opad, 64) == 1;
  }
  if (!ok) {
    delete s;
    return nullptr;
  }
  return s;
}

// srtpSender / srtpReceiver(profile: 0 GCM | 1 AES-CM, key: Buffer(16), salt: Buffer(12 | 14), authKey?: Buffer(20))
napi_value CreateContext(napi_env env, napi_callback_info info, bool receiver) {
  size_t argc = 4;
  napi_value argv[4];
  NAPI_OK(napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
  int64_t profile = -1;
  uint8_t *key, *salt, *auth = nullptr;
  size_t key_length, salt_length, auth_length = 0;
  if (argc < 3 || !GetInt(env, argv[0], &profile) || (profile != kProfileGcm && profile != kProfileCm)) {
    return Throw(env, "srtpSender: profile must be 0 (AES-128-GCM) or 1 (AES-CM-128-HMAC-SHA1-80)");
  }
  if (!GetBuffer(env, argv[1], &key, &key_length) || key_length != 16) return Throw(env, "srtpSender: key must be 16 bytes");
  const size_t want_salt = profile == kProfileGcm ? 12 : 14;
  if (!GetBuffer(env, argv[2], &salt, &salt_length) || salt_length != want_salt) {
    return Throw(env, profile == kProfileGcm ? "srtpSender: salt must be 12 bytes" : "srtpSender: salt must be 14 bytes");
  }
  if (profile == kProfileCm && (argc < 4 || !GetBuffer(env, argv[3], &auth, &auth_length) || auth_length != 20)) {
    return Throw(env, "srtpSender: AES-CM needs a 20-byte authentication key");
  }
  SrtpSender* s = NewSender(static_cast<int>(profile), key, salt, salt_length, auth, auth_length, receiver);
  if (s == nullptr) return Throw(env, "srtpSender: OpenSSL refused the key");
  napi_value external;
  if (napi_create_external(env, s, Finalize, nullptr, &external) != napi_ok) {
    delete s;
    return Throw(env, "srtpSender: out of memory");
  }
  return external;
}

napi_value CreateSender(napi_env env, napi_callback_info info) { return CreateContext(env, info, false); }
napi_value CreateReceiver(napi_env env, napi_callback_info info) { return CreateContext(env, info, true); }

// The arguments every packet call starts with: (context, packet, headerLength, roc, ...).
struct PacketCall {
  SrtpSender* s;
  uint8_t* buf;
  size_t length;
  size_t header;
  uint32_t roc;
  size_t argc;
  napi_value argv[7];
};

// Reads a packet call of at least `argc_min` arguments on a context of the right direction and
// checks the packet's shape; false when it threw (`usage` names the call in the error).
bool ReadPacketCall(napi_env env, napi_callback_info info, size_t argc_min, bool receiver, const char* usage, PacketCall* c) {
  size_t argc = 7;
  if (napi_get_cb_info(env, info, &argc, c->argv, nullptr, nullptr) != napi_ok || argc < argc_min) return Throw(env, usage), false;
  c->argc = argc;
  int64_t h = 0, r = 0;
  if (!GetSender(env, c->argv[0], &c->s)) return Throw(env, "srtp: not an SRTP context (srtpSender or srtpReceiver)"), false;
  if (c->s->receiver != receiver) {
    return Throw(env, receiver ? "srtp: this context encrypts (srtpSender)" : "srtp: this context decrypts (srtpReceiver)"), false;
  }
  if (!GetBuffer(env, c->argv[1], &c->buf, &c->length)) return Throw(env, "srtp: packet must be a Buffer"), false;
  if (!GetInt(env, c->argv[2], &h) || !GetInt(env, c->argv[3], &r)) return Throw(env, "srtp: headerLength and roc must be numbers"), false;
  if (h < 12 || static_cast<size_t>(h) + c->s->tag() > c->length) return Throw(env, "srtp: packet shorter than header + tag"), false;
  c->header = static_cast<size_t>(h);
  c->roc = static_cast<uint32_t>(r);
  return true;
}

// srtpSeal(sender, packet, headerLength, roc): packet = header || plaintext || room for the tag.
napi_value SealPacket(napi_env env, napi_callback_info info) {
  PacketCall c;
  if (!ReadPacketCall(env, info, 4, false, "srtpSeal(sender, packet, headerLength, roc)", &c)) return nullptr;
  if (!Seal(c.s, c.buf, c.length, c.header, c.roc)) return Throw(env, "srtpSeal: cipher failure");
  return nullptr;
}

// srtpOpen(receiver, packet, headerLength, roc): authenticates and decrypts packet in place;
// returns the length of header + plaintext (the tag is not part of it), or -1 when the packet does
// not authenticate (its payload is then left as received).
napi_value OpenPacket(napi_env env, napi_callback_info info) {
  PacketCall c;
  if (!ReadPacketCall(env, info, 4, true, "srtpOpen(receiver, packet, headerLength, roc)", &c)) return nullptr;
  napi_value result;
  NAPI_OK(napi_create_int64(env, Open(c.s, c.buf, c.length, c.header, c.roc), &result));
  return result;
}

// srtpSealSend(sender, buffer, headerLength, roc, fd, sockaddr, length?): seals the packet in
// buffer[0, length) (default: the whole buffer, so a caller can reuse one scratch buffer), then one
// sendto on the socket. Returns the bytes sent, or -errno (EAGAIN when the socket buffer is full:
// the datagram is dropped, as the kernel would drop it further on).
napi_value SealSend(napi_env env, napi_callback_info info) {
  PacketCall c;
  const char* usage = "srtpSealSend(sender, buffer, headerLength, roc, fd, sockaddr, length?)";
  if (!ReadPacketCall(env, info, 6, false, usage, &c)) return nullptr;
  napi_valuetype type = napi_undefined;
  if (c.argc > 6 && napi_typeof(env, c.argv[6], &type) == napi_ok && type != napi_undefined) {
    int64_t length = -1;
    if (!GetInt(env, c.argv[6], &length) || length < 0 || static_cast<size_t>(length) > c.length ||
        static_cast<size_t>(length) < c.header + c.s->tag()) {
      return Throw(env, "srtpSealSend: length must fit the buffer and hold header + tag");
    }
    c.length = static_cast<size_t>(length);
  }
  Datagram d;
  if (!ReadDatagramTarget(env, c.argv[4], c.argv[5], usage, &d)) return nullptr;
  if (!Seal(c.s, c.buf, c.length, c.header, c.roc)) return Throw(env, "srtpSeal: cipher failure");
  return SendTo(env, d, c.buf, c.length);
}

}  // namespace

// Encrypts buf[header, length - tag) in place and writes the tag at the end. False on a cipher error.
bool Seal(SrtpSender* s, uint8_t* buf, size_t length, size_t header, uint32_t roc) {
  const size_t plain = length - header - s->tag();
  uint8_t* tag = buf + header + plain;
  if (s->profile == kProfileGcm) {
    int outl = 0;
    return GcmCrypt(s, buf, header, plain, roc) && EVP_EncryptFinal_ex(s->cipher, tag, &outl) == 1 &&
           EVP_CIPHER_CTX_ctrl(s->cipher, EVP_CTRL_GCM_GET_TAG, kGcmTag, tag) == 1;
  }
  uint8_t digest[EVP_MAX_MD_SIZE];
  if (!CmCrypt(s, buf, header, plain, roc) || !HmacTag(s, buf, header + plain, roc, digest)) return false;
  memcpy(tag, digest, kHmacTag);  // the first 80 bits
  return true;
}

// Opens buf[0, length) (header, encrypted payload, tag) in place: authenticates, then decrypts.
// Returns the length without the tag, or -1 when authentication fails.
long Open(SrtpSender* s, uint8_t* buf, size_t length, size_t header, uint32_t roc) {
  const size_t plain = length - header - s->tag();
  uint8_t* tag = buf + header + plain;
  if (s->profile == kProfileGcm) {
    int outl = 0;
    uint8_t final_block[16];
    const bool ok = GcmCrypt(s, buf, header, plain, roc) && EVP_CIPHER_CTX_ctrl(s->cipher, EVP_CTRL_GCM_SET_TAG, kGcmTag, tag) == 1 &&
                    EVP_DecryptFinal_ex(s->cipher, final_block, &outl) == 1;  // false on a tag mismatch
    return ok ? static_cast<long>(header + plain) : -1;
  }
  uint8_t digest[EVP_MAX_MD_SIZE];
  if (!HmacTag(s, buf, header + plain, roc, digest) || CRYPTO_memcmp(digest, tag, kHmacTag) != 0) return -1;
  return CmCrypt(s, buf, header, plain, roc) ? static_cast<long>(header + plain) : -1;
}

bool GetSender(napi_env env, napi_value value, SrtpSender** out) {
  napi_valuetype type;
  if (napi_typeof(env, value, &type) != napi_ok || type != napi_external) return false;
  void* data = nullptr;
  if (napi_get_value_external(env, value, &data) != napi_ok) return false;
  *out = static_cast<SrtpSender*>(data);
  return true;
}

void InitSrtp(napi_env env, napi_value exports) {
  SetFunction(env, exports, "srtpSender", CreateSender);
  SetFunction(env, exports, "srtpSeal", SealPacket);
  SetFunction(env, exports, "srtpSealSend", SealSend);
  SetFunction(env, exports, "srtpReceiver", CreateReceiver);
  SetFunction(env, exports, "srtpOpen", OpenPacket);
}

}  // namespace parley
