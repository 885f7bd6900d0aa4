// Test helper: an author that signs real, valid case entries in order.
#pragma once

#include <sodium.h>

#include <memory>
#include <optional>
#include <string>

#include "protocol/case_json.h"
#include "protocol/crypto.h"
#include "protocol/entry.h"
#include "protocol/records.h"
#include "tests/test_util.h"

namespace allmenning::testing {

class SimAuthor {
 public:
  // With `keySeed` the key pair is derived from it, so a simulation seed
  // replays with the same keys (and so the same author order); without it the
  // key is random.
  explicit SimAuthor(const Hash& network, std::optional<uint64_t> keySeed = std::nullopt)
      : network_(network), key_(makeKey(keySeed)) {}

  const PublicKey& id() const { return key_->publicKey(); }
  const SecretKey& key() const { return *key_; }
  uint64_t seq() const { return seq_; }

  // The next entry of this author's log: a small, valid case record.
  Entry next(int64_t now) { return nextWith(Kind::kCase, casePayload(seq_ + 1), now); }
  // The next entry with a retract payload: cheaper to build, for bulk tests.
  Entry nextRetract(int64_t now) {
    return nextWith(Kind::kRetract, encodeRetract({"c-" + std::to_string(seq_ + 1), false}), now);
  }

  // An entry at the current head + 1 that does not advance this author: a
  // second, different entry for a seq (equivocation when already published).
  Entry sibling(uint64_t seq, const Hash& prev, int64_t now) const {
    Header h = header(seq, prev, Kind::kRetract, now);
    return signEntry(*key_, h, encodeRetract({"other-" + std::to_string(seq), true}));
  }

  // The next entry of this author's log with the given payload.
  Entry nextWith(Kind kind, Bytes payload, int64_t now) {
    Entry e = signEntry(*key_, header(seq_ + 1, prev_, kind, now), std::move(payload));
    ++seq_;
    prev_ = e.hash;
    return e;
  }

  static Bytes casePayload(uint64_t n) {
    auto bytes = caseFromJson(caseJson("c-" + std::to_string(n)));
    return bytes.isOk() ? *bytes : Bytes{};
  }

 private:
  static std::unique_ptr<SecretKey> makeKey(std::optional<uint64_t> keySeed) {
    if (!keySeed) return SecretKey::generate();
    std::string label = "sim-key-" + std::to_string(*keySeed);
    Hash seed = blake2b256(view(label));
    uint8_t pk[crypto_sign_PUBLICKEYBYTES];
    uint8_t sk[crypto_sign_SECRETKEYBYTES];
    crypto_sign_seed_keypair(pk, sk, seed.data());
    auto key = SecretKey::fromBytes(ByteView(sk, sizeof sk));
    sodium_memzero(sk, sizeof sk);
    return key.isOk() ? std::move(*key) : SecretKey::generate();
  }

  Header header(uint64_t seq, const Hash& prev, Kind kind, int64_t now) const {
    Header h;
    h.network = network_;
    h.author = key_->publicKey();
    h.seq = seq;
    h.prev = prev;
    h.kind = kind;
    h.timestamp = now;
    return h;
  }

  Hash network_;
  std::unique_ptr<SecretKey> key_;
  uint64_t seq_ = 0;
  Hash prev_{};
};

}  // namespace allmenning::testing
