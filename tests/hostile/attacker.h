// A hostile peer for tests: runs in the test process and speaks the real
// protocol (handshake, encrypted frames, sync messages) over a plain TCP
// socket to a victim node, or sends whatever bytes a test chooses.
//
// Each attacker binds its sockets to its own loopback source address
// (127.0.0.2, 127.0.1.7, ...), so the victim's bans by address fall on the
// attacker and never on an honest peer connecting from 127.0.0.1. All calls
// are blocking with a deadline; nothing here throws or asserts on the
// victim's bytes.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "protocol/entry.h"
#include "protocol/framing.h"
#include "protocol/wire.h"

namespace allmenning::testing {

class Attacker {
 public:
  // `source` is the IPv4 loopback address to connect from; `key` is the
  // identity proven in the handshake (several attackers may share one).
  Attacker(std::string source, std::shared_ptr<const SecretKey> key, Hash network);
  ~Attacker();
  Attacker(const Attacker&) = delete;
  Attacker& operator=(const Attacker&) = delete;

  // Opens a TCP connection to 127.0.0.1:`port` (closing any earlier one).
  bool connect(uint16_t port);
  // Runs the initiator's side of the handshake and sends the stream header.
  // Fails when the victim closes, refuses or stays silent past `timeout`.
  Status handshake(std::chrono::milliseconds timeout = std::chrono::seconds(5));
  // Sends the hello and waits for the victim's reply, then sends nothing
  // more: the responder has spent a key exchange and a signature, the
  // initiator next to nothing. Fails as handshake() does.
  Status hello(std::chrono::milliseconds timeout);
  // connect() and handshake().
  Status open(uint16_t port);

  // Writes all of `bytes`; false once the socket refuses (closed or reset
  // by the victim, or no room for `sendTimeout`).
  bool sendRaw(ByteView bytes);
  // Seals one plaintext into a frame and writes it. Needs a handshake.
  bool sendPlaintext(ByteView plaintext);
  bool send(const Message& m) { return sendPlaintext(encodeMessage(m)); }

  // The next message from the victim, or nullopt at `timeout` or its close.
  std::optional<Message> next(std::chrono::milliseconds timeout);
  // The next message of type T, skipping others; nullopt as for next().
  template <typename T>
  std::optional<T> nextOf(std::chrono::milliseconds timeout);
  // Reads (keeping what arrives) until the victim closes the connection;
  // false when it is still open after `timeout`.
  bool waitClosed(std::chrono::milliseconds timeout);
  // Whether a connection is open on this side (connect() succeeded and
  // close() was not called since).
  bool connected() const { return fd_ >= 0; }
  // Whether the victim closed or reset the connection (as seen so far).
  bool closedByVictim() const { return eof_; }
  // Every message received on the current connection, in order.
  const std::vector<Message>& received() const { return received_; }
  // The first Error the victim sent on the current connection, if any.
  std::optional<PeerError> error() const;
  void close();

  const PublicKey& key() const { return key_->publicKey(); }
  const SecretKey& secretKey() const { return *key_; }
  const std::string& source() const { return source_; }
  uint64_t bytesSent() const { return bytesSent_; }
  void setSendTimeout(std::chrono::milliseconds t) { sendTimeout_ = t; }
  // Answer the victim's Pings (on by default), as any live peer would.
  void setAnswerPings(bool on) { answerPings_ = on; }

 private:
  bool flushTransport();
  // Reads once, waiting until `deadline`; false on timeout or close.
  bool readOnce(std::chrono::steady_clock::time_point deadline);

  std::string source_;
  std::shared_ptr<const SecretKey> key_;
  Hash network_;
  int fd_ = -1;
  bool eof_ = false;
  std::unique_ptr<Transport> transport_;
  std::vector<Message> received_;
  size_t taken_ = 0;  // received_ handed out by next()
  uint64_t bytesSent_ = 0;
  std::chrono::milliseconds sendTimeout_{2000};
  bool answerPings_ = true;
};

template <typename T>
std::optional<T> Attacker::nextOf(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return std::nullopt;
    auto m = next(left);
    if (!m) return std::nullopt;
    if (auto* t = std::get_if<T>(&*m)) return *t;
  }
}

// ---- Entries an attacker offers ----------------------------------------------

// A signed case entry of `key`'s log at `seq` after `prev`: a valid case
// with id `caseId` (tests/test_util.h caseJson) as its canonical payload.
Entry signedCase(const SecretKey& key, const Hash& network, uint64_t seq, const Hash& prev,
                 const std::string& caseId);
// The same with the case given as JSON; a record the case rules refuse
// gets an empty payload, which V refuses as invalid.
Entry signedCaseJson(const SecretKey& key, const Hash& network, uint64_t seq, const Hash& prev,
                     const std::string& json);
// `e` on the wire with one signature byte flipped: well formed, and the
// signature no longer verifies.
WireEntry forgedSignature(const Entry& e, size_t byte);
// `e` on the wire with one payload byte changed: same size, signed header,
// and a payload that no longer matches the header's hash.
WireEntry mismatchedPayload(const Entry& e);

}  // namespace allmenning::testing
