// The authenticated key exchange that opens every peer connection.
//
// Both sides send fresh X25519 keys (crypto_kx), prove their static Ed25519
// identity by signing the transcript (which names the network id and both
// ephemeral keys), and derive one session key per direction. The handshake
// is a byte pump with no socket and no clock: the caller copies bytes in with
// receivedBytes() and out with bytesToSend() / markBytesSent(). The wire
// format is in docs/protocol.md, "Transport: handshake and frames".
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <span>
#include <string_view>

#include "protocol/bytes.h"
#include "protocol/crypto.h"
#include "protocol/status.h"

namespace allmenning {

// Signatures made in the handshake use this domain, so they can never be
// taken for an entry signature ("allmenning/entry/v1") or the other way round.
constexpr std::string_view kHandshakeDomain = "allmenning/handshake/v1";
constexpr uint8_t kHandshakeVersion = 1;

// Fills a buffer with random bytes. Injected so that tests and the simulation
// can replay a run byte for byte; production uses systemRandom().
using RandomFill = std::function<void(std::span<uint8_t>)>;
// libsodium's randombytes_buf.
RandomFill systemRandom();

// 32 secret bytes (a session key or an X25519 secret) that are zeroed when the
// object dies. Movable (the source is zeroed), not copyable.
class Secret32 {
 public:
  static constexpr size_t kSize = 32;

  Secret32() = default;
  ~Secret32();
  Secret32(const Secret32&) = delete;
  Secret32& operator=(const Secret32&) = delete;
  Secret32(Secret32&& other) noexcept;
  Secret32& operator=(Secret32&& other) noexcept;

  uint8_t* data() { return bytes_.data(); }
  const uint8_t* data() const { return bytes_.data(); }
  ByteView bytes() const { return bytes_; }

 private:
  std::array<uint8_t, kSize> bytes_{};
};

// Decides whether a proven static key may connect. An empty function accepts
// every key.
using PeerPolicy = std::function<bool(const PublicKey&)>;

class Handshake {
 public:
  enum class Role { kInitiator, kResponder };

  // Fixed message lengths; a message of any other length is refused.
  //   hello = version(1) network(32) ephemeral_I(32)
  //   reply = version(1) network(32) ephemeral_R(32) static_R(32) sig_R(64)
  //   proof = static_I(32) sig_I(64)
  static constexpr size_t kHelloBytes = 1 + 32 + 32;
  static constexpr size_t kReplyBytes = 1 + 32 + 32 + 32 + 64;
  static constexpr size_t kProofBytes = 32 + 64;

  // Where the handshake stands. The initiator queues hello in its
  // constructor and starts in kAwaitReply; the responder starts in
  // kAwaitHello.
  //
  //   initiator:                            responder:
  //
  //   (hello queued)                        kAwaitHello
  //        |                                    | hello ok: reply queued
  //        v                                    v
  //   kAwaitReply                           kAwaitProof
  //        | reply ok: proof queued             | proof ok
  //        v                                    v
  //      kDone                                kDone
  //
  //   Any state --(wrong version, other network, bad key or signature,
  //                peer key refused by policy)--> kFailed (final)
  enum class State { kAwaitHello, kAwaitReply, kAwaitProof, kDone, kFailed };

  // `identity` must outlive this object. `random` is called once, for the
  // ephemeral key seed.
  Handshake(Role role, const SecretKey& identity, const Hash& network, PeerPolicy acceptPeer = {},
            const RandomFill& random = systemRandom());
  Handshake(const Handshake&) = delete;
  Handshake& operator=(const Handshake&) = delete;

  // Consumes bytes from the peer, in chunks of any size. Returns the failure
  // when the input is refused; once failed, every later call returns the
  // same failure. Bytes that arrive after the last handshake message are kept
  // for takeSurplus(). Calling this after done() is refused and changes
  // nothing (the bytes belong to the frame stream).
  Status receivedBytes(ByteView bytes);

  // Bytes that should go to the peer next; empty when there are none. Valid
  // until the next non-const call.
  ByteView bytesToSend() const;
  // Records that the first `n` bytes of bytesToSend() went out.
  // Precondition: n <= bytesToSend().size().
  void markBytesSent(size_t n);

  State state() const { return state_; }
  bool done() const { return state_ == State::kDone; }
  bool failed() const { return state_ == State::kFailed; }
  // Why the handshake failed; ok while it has not.
  const Status& status() const { return status_; }

  // The results, valid once done(). rxKey() decrypts what the peer sends,
  // txKey() encrypts what this side sends.
  const PublicKey& peerKey() const { return peerStatic_; }
  const Secret32& rxKey() const { return rx_; }
  const Secret32& txKey() const { return tx_; }
  // Bytes received after the final handshake message: the start of the
  // peer's frame stream. Returns them once and empties the buffer.
  Bytes takeSurplus();

 private:
  size_t expectedBytes() const;
  Status process();
  Status onHello();
  Status onReply();
  Status onProof();
  Status deriveKeys(ByteView peerEphemeral);
  Hash transcript(std::string_view label, std::initializer_list<ByteView> parts) const;
  bool peerAccepted(const PublicKey& key) const;
  Status fail(Status status);
  void queue(ByteView bytes);

  Role role_;
  const SecretKey& identity_;
  Hash network_;
  PeerPolicy acceptPeer_;
  State state_;
  Status status_;

  PublicKey ephemeralPublic_{};
  Secret32 ephemeralSecret_;
  Secret32 rx_, tx_;
  // Hash of both session keys, mixed into each signed transcript; see
  // transcript() for why.
  Secret32 binding_;
  PublicKey peerStatic_{};

  Bytes hello_, reply_;  // kept for the transcript
  Bytes in_;             // the message being received; never longer than it
  Bytes surplus_;
  Bytes out_;
  size_t sent_ = 0;  // bytes of out_ already handed to the socket
};

}  // namespace allmenning
