// Hashing and signing (libsodium). Secret keys live in guarded memory.
#pragma once

#include <memory>
#include <string_view>

#include "protocol/bytes.h"
#include "protocol/status.h"

namespace allmenning {

// Must succeed once before any other function here is used (main() calls it).
Status initCrypto();

// BLAKE2b with a 32-byte digest over the concatenation of the parts.
Hash blake2b256(ByteView a, ByteView b = {});

// The federation id that every header carries: BLAKE2b-256 of
// "allmenning/network/v1/" || name, so different federations never mix.
Hash networkId(std::string_view name);

// An Ed25519 secret key held in sodium_malloc memory (guard pages, locked,
// zeroed and freed on destruction). Owns its memory; not copyable.
class SecretKey {
 public:
  static constexpr size_t kSize = 64;  // libsodium's seed || public key form

  static std::unique_ptr<SecretKey> generate();
  // Adopts 64 bytes in libsodium's secret key form. Refuses a key whose
  // embedded public half does not match its seed.
  static Result<std::unique_ptr<SecretKey>> fromBytes(ByteView bytes);

  ~SecretKey();
  SecretKey(const SecretKey&) = delete;
  SecretKey& operator=(const SecretKey&) = delete;

  const PublicKey& publicKey() const { return public_; }
  // Ed25519 signature over domain || message. The domain string keeps a
  // signature made for one purpose from ever being valid for another.
  Signature sign(std::string_view domain, ByteView message) const;
  // The raw secret bytes, for writing the key file only.
  ByteView secretBytes() const { return {secret_, kSize}; }

 private:
  SecretKey();
  uint8_t* secret_;  // sodium_malloc'd, kSize bytes
  PublicKey public_{};
};

// Verifies an Ed25519 signature made by SecretKey::sign with the same domain.
bool verifySignature(const PublicKey& key, std::string_view domain, ByteView message,
                     const Signature& signature);

}  // namespace allmenning
