// Helpers shared by the fuzz targets and the seed corpus generator: a reader
// and a writer for the small framing the targets give their input, fixed
// keys, and a deterministic RandomFill, so every run replays byte for byte.
#pragma once

#include <sodium.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string_view>

#include "protocol/bytes.h"
#include "protocol/crypto.h"
#include "protocol/handshake.h"

namespace allmenning::fuzz {

// Reads the fuzzer's bytes front to back. Past the end every read yields
// zeros or an empty view, so a target never needs to check before reading.
class Reader {
 public:
  Reader(const uint8_t* data, size_t size) : data_(data, size) {}

  bool empty() const { return pos_ >= data_.size(); }
  uint8_t u8() { return empty() ? 0 : data_[pos_++]; }
  uint16_t u16() { return static_cast<uint16_t>((u8() << 8) | u8()); }
  uint64_t u64() {
    uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v = (v << 8) | u8();
    return v;
  }
  // Up to `n` bytes: fewer when the input ends first.
  ByteView bytes(size_t n) {
    n = std::min(n, data_.size() - std::min(pos_, data_.size()));
    ByteView out = data_.subspan(pos_, n);
    pos_ += n;
    return out;
  }
  // A chunk: a 16-bit big-endian length, then that many bytes.
  ByteView chunk() { return bytes(u16()); }
  ByteView rest() { return bytes(data_.size()); }

 private:
  ByteView data_;
  size_t pos_ = 0;
};

// Builds inputs in the format Reader reads (used for the seed corpus).
class Writer {
 public:
  Writer& u8(uint8_t v) {
    out_.push_back(v);
    return *this;
  }
  Writer& u16(uint16_t v) { return u8(static_cast<uint8_t>(v >> 8)).u8(static_cast<uint8_t>(v)); }
  Writer& u64(uint64_t v) {
    for (int i = 7; i >= 0; --i) u8(static_cast<uint8_t>(v >> (8 * i)));
    return *this;
  }
  Writer& bytes(ByteView b) {
    out_.insert(out_.end(), b.begin(), b.end());
    return *this;
  }
  // Precondition: b.size() <= 65535.
  Writer& chunk(ByteView b) { return u16(static_cast<uint16_t>(b.size())).bytes(b); }
  const Bytes& data() const { return out_; }

 private:
  Bytes out_;
};

// libsodium must be initialised before any key is made; a failure here is a
// broken build, not an input, so it aborts.
inline void initOnce() {
  static const bool ok = initCrypto().isOk();
  if (!ok) std::abort();
}

// An Ed25519 key derived from `label`: the same label gives the same key.
inline std::unique_ptr<SecretKey> fixedKey(std::string_view label) {
  initOnce();
  Hash seed = blake2b256(view(label));
  uint8_t pk[crypto_sign_PUBLICKEYBYTES];
  uint8_t sk[crypto_sign_SECRETKEYBYTES];
  crypto_sign_seed_keypair(pk, sk, seed.data());
  auto key = SecretKey::fromBytes(ByteView(sk, sizeof sk));
  sodium_memzero(sk, sizeof sk);
  if (!key.isOk()) std::abort();
  return std::move(*key);
}

// A RandomFill that yields the same stream for the same seed (splitmix64).
inline RandomFill fixedRandom(uint64_t seed) {
  auto state = std::make_shared<uint64_t>(seed);
  return [state](std::span<uint8_t> out) {
    for (uint8_t& b : out) {
      uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
      z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
      z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
      b = static_cast<uint8_t>(z ^ (z >> 31));
    }
  };
}

// Aborts with a message: a broken promise of the code under test. libFuzzer
// records the input that got here as a crash.
[[noreturn]] inline void broken(const char* what) {
  fprintf(stderr, "invariant broken: %s\n", what);
  std::abort();
}

}  // namespace allmenning::fuzz
