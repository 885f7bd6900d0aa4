#include "protocol/crypto.h"

#include <sodium.h>

#include <new>
#include <stdexcept>

namespace allmenning {
namespace {

Bytes withDomain(std::string_view domain, ByteView message) {
  Bytes buf(domain.begin(), domain.end());
  buf.insert(buf.end(), message.begin(), message.end());
  return buf;
}

}  // namespace

Status initCrypto() {
  if (sodium_init() < 0) return Status::ioError("libsodium failed to initialise");
  return Status::ok();
}

Hash blake2b256(ByteView a, ByteView b) {
  crypto_generichash_state state;
  crypto_generichash_init(&state, nullptr, 0, 32);
  crypto_generichash_update(&state, a.data(), a.size());
  crypto_generichash_update(&state, b.data(), b.size());
  Hash out;
  crypto_generichash_final(&state, out.data(), out.size());
  return out;
}

Hash networkId(std::string_view name) {
  return blake2b256(view("allmenning/network/v1/"), view(name));
}

SecretKey::SecretKey() {
  // sodium_malloc needs an initialised library; sodium_init is idempotent.
  if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
  secret_ = static_cast<uint8_t*>(sodium_malloc(kSize));
  if (secret_ == nullptr) throw std::bad_alloc();
}

SecretKey::~SecretKey() { sodium_free(secret_); }  // sodium_free zeroes first

std::unique_ptr<SecretKey> SecretKey::generate() {
  std::unique_ptr<SecretKey> key(new SecretKey());
  crypto_sign_keypair(key->public_.data(), key->secret_);
  return key;
}

Result<std::unique_ptr<SecretKey>> SecretKey::fromBytes(ByteView bytes) {
  if (bytes.size() != kSize) {
    return Status::corruption("secret key has " + std::to_string(bytes.size()) +
                              " bytes, expected 64");
  }
  std::unique_ptr<SecretKey> key(new SecretKey());
  std::copy(bytes.begin(), bytes.end(), key->secret_);
  // Recompute the public half from the seed; a mismatch means a damaged file.
  PublicKey derived;
  uint8_t* scratch = static_cast<uint8_t*>(sodium_malloc(kSize));
  if (scratch == nullptr) throw std::bad_alloc();
  crypto_sign_seed_keypair(derived.data(), scratch, key->secret_);
  sodium_free(scratch);
  if (sodium_memcmp(derived.data(), key->secret_ + 32, 32) != 0) {
    return Status::corruption("secret key is damaged: its public half does not match its seed");
  }
  key->public_ = derived;
  return key;
}

Signature SecretKey::sign(std::string_view domain, ByteView message) const {
  Bytes buf = withDomain(domain, message);
  Signature sig;
  crypto_sign_detached(sig.data(), nullptr, buf.data(), buf.size(), secret_);
  return sig;
}

bool verifySignature(const PublicKey& key, std::string_view domain, ByteView message,
                     const Signature& signature) {
  Bytes buf = withDomain(domain, message);
  return crypto_sign_verify_detached(signature.data(), buf.data(), buf.size(), key.data()) == 0;
}

}  // namespace allmenning
