// Encrypted frames after the handshake, and Transport, which puts handshake
// and frames behind one byte pump.
//
// Each direction is one crypto_secretstream_xchacha20poly1305 stream. The
// sender first sends the 24-byte stream header, then frames:
//
//   frame = length N (4 bytes, big-endian) || ciphertext (N bytes)
//   N     = plaintext size + kFrameTagBytes, plaintext at most 1 MiB
//
// The stream's internal nonce advances with every frame, so a frame that is
// replayed, reordered, cut out, or taken from another session fails to open.
// Nothing here touches a socket or a clock. Wire format: docs/protocol.md.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <vector>

#include "protocol/bytes.h"
#include "protocol/handshake.h"
#include "protocol/status.h"

namespace allmenning {

constexpr size_t kMaxFramePlaintext = size_t{1} << 20;
constexpr size_t kFrameLengthBytes = 4;
constexpr size_t kFrameTagBytes = 17;      // secretstream ABYTES: tag byte + MAC
constexpr size_t kStreamHeaderBytes = 24;  // secretstream HEADERBYTES
constexpr size_t kMaxFrameCiphertext = kMaxFramePlaintext + kFrameTagBytes;

struct StreamState;  // libsodium's secretstream state, zeroed on destruction

// Seals messages into frames for one direction of one session.
class FrameEncoder {
 public:
  // `key` is this side's tx key; it is copied into the stream state. `random`
  // is called once, for the stream header.
  explicit FrameEncoder(const Secret32& key, const RandomFill& random = systemRandom());
  ~FrameEncoder();
  FrameEncoder(const FrameEncoder&) = delete;
  FrameEncoder& operator=(const FrameEncoder&) = delete;

  // The stream header. Send it exactly once, before the first frame.
  ByteView header() const { return header_; }
  // Encrypts one message into a whole frame (length prefix included).
  // Refuses a plaintext longer than kMaxFramePlaintext and then leaves the
  // stream unchanged, so later frames still open.
  Result<Bytes> seal(ByteView plaintext);

 private:
  std::array<uint8_t, kStreamHeaderBytes> header_{};
  std::unique_ptr<StreamState> state_;
};

// Opens the frames of one direction, fed in chunks of any size.
class FrameDecoder {
 public:
  // `key` is this side's rx key; it is copied and zeroed once the stream
  // header has arrived.
  explicit FrameDecoder(const Secret32& key);
  ~FrameDecoder();
  FrameDecoder(const FrameDecoder&) = delete;
  FrameDecoder& operator=(const FrameDecoder&) = delete;

  // Consumes bytes and returns the messages completed by them, in order; an
  // incomplete frame at the end is kept until more bytes come. A bad length,
  // tag or ciphertext returns a failure (messages completed earlier in the
  // same call are dropped: the session ends anyway), and every later call
  // returns the same failure. At most one frame (4 + kMaxFrameCiphertext
  // bytes) is ever buffered, and a frame's buffer is only reserved after its
  // announced length passed the check.
  Result<std::vector<Bytes>> receivedBytes(ByteView bytes);

  bool failed() const { return state_ == State::kFailed; }
  const Status& status() const { return status_; }
  // Bytes held for the frame in progress (for tests of the bound).
  size_t bufferedBytes() const { return have_ + body_.size(); }

 private:
  // What the decoder waits for next.
  //
  //   kHeader --24 bytes: stream opened--> kLength
  //   kLength --4 bytes, 17 <= N <= kMaxFrameCiphertext--> kBody
  //   kBody   --N bytes that open with TAG_MESSAGE--> kLength
  //   any     --bad length, tag or ciphertext--> kFailed (final)
  enum class State { kHeader, kLength, kBody, kFailed };

  Status step(ByteView bytes, size_t& pos, std::vector<Bytes>& out);
  Status openStream();
  Status checkLength();
  Status openFrame(std::vector<Bytes>& out);

  State state_ = State::kHeader;
  Status status_;
  Secret32 key_;  // until the stream header arrives
  std::unique_ptr<StreamState> stream_;
  std::array<uint8_t, kStreamHeaderBytes> fixed_{};  // header or length bytes
  size_t have_ = 0;                                  // bytes of fixed_ filled
  size_t bodySize_ = 0;
  Bytes body_;
};

// One end of a peer connection: handshake, then frames both ways, behind a
// single byte pump. The owner (the network shell) only moves bytes between
// this and a socket, and decides what to do with messages and failures.
class Transport {
 public:
  //   kHandshake --handshake done: stream header queued--> kReady
  //   kHandshake, kReady --refused input--> kFailed (final)
  enum class State { kHandshake, kReady, kFailed };

  // `identity` must outlive this object. `random` supplies the ephemeral key
  // seed and the stream header.
  Transport(Handshake::Role role, const SecretKey& identity, const Hash& network,
            PeerPolicy acceptPeer = {}, RandomFill random = systemRandom());
  ~Transport();
  Transport(const Transport&) = delete;
  Transport& operator=(const Transport&) = delete;

  // Consumes bytes from the peer and returns the messages they complete.
  // Handshake bytes yield no messages. On failure the connection should be
  // closed; every later call returns the same failure.
  Result<std::vector<Bytes>> receivedBytes(ByteView bytes);
  // The outgoing queue holds sealed frames (and the handshake's messages
  // and the stream header) each in its own buffer, so a long queue is never
  // one big buffer that grows by doubling and is copied for the socket.
  //
  // Moves whole queued buffers out, oldest first: at least one (when any is
  // queued) and then more while their total stays within `maxBytes`. The
  // caller writes them to the socket in order.
  std::vector<Bytes> takeQueued(size_t maxBytes);
  // Everything queued, in one buffer (tests and tools; copies).
  Bytes takeBytesToSend();
  // Bytes queued, and the memory they hold (capacities and bookkeeping).
  size_t queuedBytes() const { return queuedBytes_; }
  size_t queuedMemory() const { return queuedMemory_; }

  // Queues one message. Refused before ready(), after a failure, and for a
  // message over kMaxFramePlaintext (which does not end the session). The
  // queue is not bounded here: the owner watches queuedMemory().
  Status send(ByteView plaintext);

  State state() const { return state_; }
  bool ready() const { return state_ == State::kReady; }
  bool failed() const { return state_ == State::kFailed; }
  const Status& status() const { return status_; }
  // The peer's proven static key, valid once ready().
  const PublicKey& peerKey() const { return peer_; }

 private:
  void takeHandshakeBytes();
  Result<std::vector<Bytes>> startFrames();
  Result<std::vector<Bytes>> decode(ByteView bytes);
  Status fail(Status status);
  void queue(Bytes bytes);
  void clearQueue();

  State state_ = State::kHandshake;
  Status status_;
  RandomFill random_;
  std::unique_ptr<Handshake> handshake_;  // only while handshaking
  std::unique_ptr<FrameEncoder> encoder_;
  std::unique_ptr<FrameDecoder> decoder_;
  PublicKey peer_{};
  std::deque<Bytes> out_;
  size_t queuedBytes_ = 0;
  size_t queuedMemory_ = 0;
};

// The memory one queued buffer holds: its capacity and the heap block's and
// the queue's bookkeeping.
size_t queuedMemoryOf(const Bytes& b);

}  // namespace allmenning
