#include "protocol/handshake.h"

#include <sodium.h>

#include <algorithm>
#include <initializer_list>
#include <utility>

namespace allmenning {

static_assert(crypto_kx_PUBLICKEYBYTES == 32 && crypto_kx_SECRETKEYBYTES == Secret32::kSize);
static_assert(crypto_kx_SEEDBYTES == Secret32::kSize);
static_assert(crypto_kx_SESSIONKEYBYTES == Secret32::kSize);

namespace {

// Offsets inside hello and reply; both start with version and network id.
constexpr size_t kNetworkAt = 1;
constexpr size_t kEphemeralAt = 33;
constexpr size_t kReplyStaticAt = 65;
constexpr size_t kReplySignatureAt = 97;
// The proof is the initiator's static key followed by its signature.
constexpr size_t kProofSignatureAt = 32;

// Labels that keep the responder's and the initiator's signed transcripts
// apart even if their bytes were ever to line up.
constexpr std::string_view kResponderLabel = "responder";
constexpr std::string_view kInitiatorLabel = "initiator";

Status checkVersionAndNetwork(ByteView msg, const Hash& network) {
  if (msg[0] != kHandshakeVersion) {
    return Status::refused("handshake: peer speaks version " + std::to_string(msg[0]) +
                           ", this node speaks version " + std::to_string(kHandshakeVersion));
  }
  if (!std::equal(network.begin(), network.end(), msg.begin() + kNetworkAt)) {
    return Status::refused("handshake: peer is on another network (network id differs)");
  }
  return Status::ok();
}

}  // namespace

RandomFill systemRandom() {
  return [](std::span<uint8_t> out) { randombytes_buf(out.data(), out.size()); };
}

Secret32::~Secret32() { sodium_memzero(bytes_.data(), kSize); }

Secret32::Secret32(Secret32&& other) noexcept : bytes_(other.bytes_) {
  sodium_memzero(other.bytes_.data(), kSize);
}

Secret32& Secret32::operator=(Secret32&& other) noexcept {
  if (this != &other) {
    bytes_ = other.bytes_;
    sodium_memzero(other.bytes_.data(), kSize);
  }
  return *this;
}

Handshake::Handshake(Role role, const SecretKey& identity, const Hash& network,
                     PeerPolicy acceptPeer, const RandomFill& random)
    : role_(role),
      identity_(identity),
      network_(network),
      acceptPeer_(std::move(acceptPeer)),
      state_(role == Role::kInitiator ? State::kAwaitReply : State::kAwaitHello) {
  // The seed comes from the injected source so a seeded run is repeatable;
  // the seed itself is zeroed when it goes out of scope.
  Secret32 seed;
  random(std::span<uint8_t>(seed.data(), Secret32::kSize));
  crypto_kx_seed_keypair(ephemeralPublic_.data(), ephemeralSecret_.data(), seed.data());
  // The initiator speaks first; its hello needs nothing from the peer.
  if (role == Role::kInitiator) {
    hello_.push_back(kHandshakeVersion);
    hello_.insert(hello_.end(), network_.begin(), network_.end());
    hello_.insert(hello_.end(), ephemeralPublic_.begin(), ephemeralPublic_.end());
    queue(hello_);
  }
}

Status Handshake::receivedBytes(ByteView bytes) {
  if (failed()) return status_;
  if (done()) return Status::refused("handshake: already complete; bytes belong to the frames");
  size_t pos = 0;
  while (pos < bytes.size()) {
    if (done()) {
      // The peer may send its first frames right behind its last handshake
      // message; they must reach the frame decoder, not be dropped.
      surplus_.insert(surplus_.end(), bytes.begin() + pos, bytes.end());
      break;
    }
    // Never take more than the current message still needs, so `in_` holds
    // at most one fixed-length message and a longer one cannot hide a tail.
    size_t take = std::min(expectedBytes() - in_.size(), bytes.size() - pos);
    in_.insert(in_.end(), bytes.begin() + pos, bytes.begin() + pos + take);
    pos += take;
    if (in_.size() == expectedBytes()) {
      Status st = process();
      if (!st.isOk()) return fail(std::move(st));
    }
  }
  return Status::ok();
}

ByteView Handshake::bytesToSend() const { return ByteView(out_).subspan(sent_); }

void Handshake::markBytesSent(size_t n) {
  sent_ += std::min(n, out_.size() - sent_);
  if (sent_ == out_.size()) {
    out_.clear();
    sent_ = 0;
  }
}

Bytes Handshake::takeSurplus() { return std::exchange(surplus_, Bytes{}); }

size_t Handshake::expectedBytes() const {
  switch (state_) {
    case State::kAwaitHello:
      return kHelloBytes;
    case State::kAwaitReply:
      return kReplyBytes;
    case State::kAwaitProof:
      return kProofBytes;
    case State::kDone:
    case State::kFailed:
      break;
  }
  return 0;
}

Status Handshake::process() {
  switch (state_) {
    case State::kAwaitHello:
      return onHello();
    case State::kAwaitReply:
      return onReply();
    case State::kAwaitProof:
      return onProof();
    case State::kDone:
    case State::kFailed:
      break;
  }
  return Status::ok();
}

// Responder: check the hello, derive keys, answer with a signed reply.
Status Handshake::onHello() {
  ALM_RETURN_IF_ERROR(checkVersionAndNetwork(in_, network_));
  hello_ = std::exchange(in_, Bytes{});
  ALM_RETURN_IF_ERROR(deriveKeys(ByteView(hello_).subspan(kEphemeralAt, 32)));
  const PublicKey& self = identity_.publicKey();
  reply_.push_back(kHandshakeVersion);
  reply_.insert(reply_.end(), network_.begin(), network_.end());
  reply_.insert(reply_.end(), ephemeralPublic_.begin(), ephemeralPublic_.end());
  reply_.insert(reply_.end(), self.begin(), self.end());
  Signature sig = identity_.sign(kHandshakeDomain, transcript(kResponderLabel, {hello_, reply_}));
  reply_.insert(reply_.end(), sig.begin(), sig.end());
  queue(reply_);
  state_ = State::kAwaitProof;
  return Status::ok();
}

// Initiator: check the reply and the responder's proof, answer with ours.
// The cheap checks come first so a peer on another network is told so rather
// than "bad signature"; the policy runs last so it only ever sees proven keys.
Status Handshake::onReply() {
  ALM_RETURN_IF_ERROR(checkVersionAndNetwork(in_, network_));
  reply_ = std::exchange(in_, Bytes{});
  ByteView reply(reply_);
  ALM_RETURN_IF_ERROR(deriveKeys(reply.subspan(kEphemeralAt, 32)));
  PublicKey peer = *toFixed<32>(reply.subspan(kReplyStaticAt, 32));
  Signature sig = *toFixed<64>(reply.subspan(kReplySignatureAt, 64));
  Hash signedHash = transcript(kResponderLabel, {hello_, reply.first(kReplySignatureAt)});
  if (!verifySignature(peer, kHandshakeDomain, signedHash, sig)) {
    return Status::corruption(
        "handshake: responder's signature does not match its key and session");
  }
  if (!peerAccepted(peer)) return Status::refused("handshake: peer key not trusted");
  peerStatic_ = peer;
  const PublicKey& self = identity_.publicKey();
  Signature mine =
      identity_.sign(kHandshakeDomain, transcript(kInitiatorLabel, {hello_, reply_, self}));
  queue(self);
  queue(mine);
  state_ = State::kDone;
  return Status::ok();
}

// Responder: check the initiator's proof; the keys are already derived.
Status Handshake::onProof() {
  // The proof carries no version or network of its own: the transcript it
  // signs contains the hello and the reply, which carry both.
  ByteView proof(in_);
  PublicKey peer = *toFixed<32>(proof.first(kProofSignatureAt));
  Signature sig = *toFixed<64>(proof.subspan(kProofSignatureAt));
  Hash signedHash = transcript(kInitiatorLabel, {hello_, reply_, peer});
  if (!verifySignature(peer, kHandshakeDomain, signedHash, sig)) {
    return Status::corruption(
        "handshake: initiator's signature does not match its key and session");
  }
  if (!peerAccepted(peer)) return Status::refused("handshake: peer key not trusted");
  peerStatic_ = peer;
  in_.clear();
  state_ = State::kDone;
  return Status::ok();
}

Status Handshake::deriveKeys(ByteView peerEphemeral) {
  int rc = role_ == Role::kInitiator
               ? crypto_kx_client_session_keys(rx_.data(), tx_.data(), ephemeralPublic_.data(),
                                               ephemeralSecret_.data(), peerEphemeral.data())
               : crypto_kx_server_session_keys(rx_.data(), tx_.data(), ephemeralPublic_.data(),
                                               ephemeralSecret_.data(), peerEphemeral.data());
  // crypto_kx refuses low-order points, which would give a key anyone knows.
  if (rc != 0) return Status::corruption("handshake: peer's ephemeral key is unusable");
  ephemeralSecret_ = Secret32();  // no longer needed; forget it early
  // Both sides hash the keys in the same order: initiator->responder first.
  const Secret32& toResponder = role_ == Role::kInitiator ? tx_ : rx_;
  const Secret32& toInitiator = role_ == Role::kInitiator ? rx_ : tx_;
  crypto_generichash_state st;
  crypto_generichash_init(&st, nullptr, 0, Secret32::kSize);
  crypto_generichash_update(&st, toResponder.data(), Secret32::kSize);
  crypto_generichash_update(&st, toInitiator.data(), Secret32::kSize);
  crypto_generichash_final(&st, binding_.data(), Secret32::kSize);
  sodium_memzero(&st, sizeof st);
  return Status::ok();
}

// The hash each side signs: BLAKE2b-256 keyed with the session binding over
// label || parts. The parts name the network and both ephemeral keys, so a
// proof from one session is worthless in another. Keying with the binding
// (which only the two ends can compute) also means a third party cannot
// re-sign an honest peer's transcript under its own key and pass the session
// off as its own (an unknown-key-share attack).
Hash Handshake::transcript(std::string_view label, std::initializer_list<ByteView> parts) const {
  crypto_generichash_state st;
  crypto_generichash_init(&st, binding_.data(), Secret32::kSize, 32);
  ByteView labelBytes = view(label);
  crypto_generichash_update(&st, labelBytes.data(), labelBytes.size());
  for (ByteView part : parts) crypto_generichash_update(&st, part.data(), part.size());
  Hash out;
  crypto_generichash_final(&st, out.data(), out.size());
  sodium_memzero(&st, sizeof st);
  return out;
}

bool Handshake::peerAccepted(const PublicKey& key) const {
  return !acceptPeer_ || acceptPeer_(key);
}

Status Handshake::fail(Status status) {
  state_ = State::kFailed;
  status_ = std::move(status);
  // Nothing more goes out, and no key of a refused session stays around.
  out_.clear();
  sent_ = 0;
  rx_ = Secret32();
  tx_ = Secret32();
  binding_ = Secret32();
  ephemeralSecret_ = Secret32();
  return status_;
}

void Handshake::queue(ByteView bytes) { out_.insert(out_.end(), bytes.begin(), bytes.end()); }

}  // namespace allmenning
