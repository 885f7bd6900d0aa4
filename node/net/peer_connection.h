// One TCP connection to a peer: socket <-> Transport <-> SyncSession.
//
// The connection only moves bytes and drives timers. Everything the bytes
// mean is decided by the sans-I/O core: the Transport (handshake and frames)
// and the SyncSession (what to send, what was accepted, when to hang up).
// What the connection learns that matters beyond itself (it opened, entries
// were accepted, it closed) goes to its PeerHost, the P2PNode.
#pragma once

#include <array>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>  // before Asio: Boost 1.74 headers rely on it under g++ 12
#include <vector>

#include "node/net/token_bucket.h"
#include "protocol/framing.h"
#include "protocol/log_store.h"
#include "protocol/sync.h"

namespace allmenning {

// Milliseconds on any monotonic clock; injected so sessions can be replayed.
using MsClock = std::function<int64_t()>;
// std::chrono::steady_clock in milliseconds.
MsClock steadyMsClock();
// std::chrono::system_clock in milliseconds since the epoch.
MsClock systemMsClock();

struct ConnectionConfig {
  std::chrono::milliseconds handshakeTimeout{10'000};  // connect + handshake
  // An inbound connection's first handshake message (65 bytes) must arrive
  // within this, or the connection is closed: a socket that stalls holds
  // its handshake slot this long, not handshakeTimeout.
  std::chrono::milliseconds helloTimeout{2'000};
  // A path that drops packets (a cut link, a partition) shows only as
  // silence, and TCP retransmits into it less and less often: after a cut of
  // a minute the first retransmission can come most of a minute after the
  // link is back. So each side sends a Ping when it has sent or heard
  // nothing for a third of idleTimeout, an alive peer is never silent for
  // long, and silence for idleTimeout closes the connection; the dialer
  // redials within reconnectMax (P2PConfig) and the new session's Heads
  // catch up at once.
  std::chrono::milliseconds idleTimeout{6'000};  // nothing received for this long
  std::chrono::milliseconds tickInterval{250};   // SyncSession::onTick cadence
  // Memory of the frames queued for the peer (their buffers, not just
  // their bytes): over maxBufferedBytes the connection is closed as backlog.
  // Over pauseReadBytes the peer's own messages are not read, so its Wants
  // and Hellos are not answered until it has read what we sent; a peer that
  // then takes nothing for idleTimeout is closed as backlog.
  size_t maxBufferedBytes = size_t{16} << 20;
  size_t pauseReadBytes = size_t{256} << 10;
  // Entries (signature checks) one peer may make us verify per second, on
  // average; a faster peer is read more slowly, so TCP holds it back.
  // Zero: no limit.
  uint32_t verifyPerSecond = 20'000;
  // Bytes of replies (what the peer's own messages make us send: Entries
  // for its Wants, Heads for its Hellos) per second, on average; while the
  // peer is over it, its messages wait, so it cannot buy megabytes of work
  // with a few bytes at line rate. Twice an honest catch-up
  // (docs/performance.md). Zero: no limit.
  uint64_t replyBytesPerSecond = uint64_t{16} << 20;
  SyncConfig sync;
};

// Why a connection ended. Only kMisbehaved gets the peer banned.
enum class CloseKind {
  kShutdown,    // this node is stopping
  kRemote,      // the peer closed, or the socket failed
  kTimeout,     // handshake or idle timeout
  kBacklog,     // the peer does not read what we send
  kRefused,     // policy: key not trusted or banned, other network, too many peers
  kMisbehaved,  // bytes or messages that break the protocol
  kLocal,       // this node failed (its store, e.g. a full disk): no ban
};
std::string closeKindName(CloseKind kind);

class PeerConnection;

// The owner of connections. Called on the io thread, from inside the
// connection's handlers; a callback may close any connection, including
// the one calling.
class PeerHost {
 public:
  virtual ~PeerHost() = default;
  // The handshake finished and the sync session started.
  virtual void onOpened(PeerConnection& conn) = 0;
  // Entries the session newly accepted from this peer.
  virtual void onAccepted(PeerConnection& from, const std::vector<Entry>& entries) = 0;
  // A fork proof the session newly recorded from this peer.
  virtual void onFork(PeerConnection& from, const ForkProof& proof) = 0;
  // Called exactly once, after the socket and timers are closed.
  virtual void onClosed(PeerConnection& conn, CloseKind kind, const std::string& why) = 0;
  // The connection queued more for its peer: the node checks its
  // node-wide bound (SendMemory).
  virtual void onQueued(PeerConnection& conn) = 0;
};

// What the send queues of all of a node's connections hold together, in
// memory (PeerConnection::queuedMemory). Owned by the node, shared by its
// connections, touched on the io thread only.
struct SendMemory {
  size_t total = 0;
};

class PeerConnection : public std::enable_shared_from_this<PeerConnection> {
 public:
  using tcp = boost::asio::ip::tcp;

  // Connection lifecycle.
  //
  //   start()
  //     |
  //     v
  //   kHandshaking --Transport ready, key allowed: session starts--> kOpen
  //     |  handshake timeout, refused or bad bytes,                   |
  //     |  socket error                                               | session asks to
  //     |                                                             | disconnect (Error
  //     |             socket error, frame failure, idle timeout,      | queued)
  //     |             backlog over the bound                          v
  //     |          +----------------------------------------------- kDraining
  //     v          v                                                  | queue written
  //   kClosed  <------------------------------------------------------+  (or next tick)
  //   (final: socket and timers closed, PeerHost::onClosed called once)
  enum class State { kHandshaking, kOpen, kDraining, kClosed };

  struct Params {
    const SecretKey* identity = nullptr;  // must outlive the connection
    Hash network{};
    LogStore* log = nullptr;  // must outlive the connection
    PeerPolicy policy;        // checked inside the handshake
    // Set when we dialed: the only key this connection may reach.
    std::optional<PublicKey> expectedKey;
    ConnectionConfig config;
    MsClock clock;
    MsClock wallClock;  // ms since the epoch, for openedAt(); empty: the system clock
    RandomFill random;
    SendMemory* sendMemory = nullptr;  // the node's total; must outlive the connection
  };

  // `socket` is connected; `host` must outlive the connection's handlers
  // (the P2PNode outlives its io_context's run()).
  PeerConnection(tcp::socket socket, Params params, PeerHost& host, uint64_t id);
  PeerConnection(const PeerConnection&) = delete;
  PeerConnection& operator=(const PeerConnection&) = delete;

  // Starts reading and the handshake deadline. Call once.
  void start();
  // Pushes entries / a fork proof this node got elsewhere (no-op unless open).
  void pushAccepted(const std::vector<Entry>& entries);
  void pushFork(const ForkProof& proof);
  // This node accepts more authors now (SyncSession::onTrustChanged).
  void trustChanged();
  // Closes at once; idempotent. Calls PeerHost::onClosed the first time.
  void close(CloseKind kind, const std::string& why);

  State state() const { return state_; }
  bool dialed() const { return expectedKey_.has_value(); }
  uint64_t id() const { return id_; }
  // The peer's proven key; all zero before the handshake finished.
  const PublicKey& peerKey() const { return transport_.peerKey(); }
  const tcp::endpoint& remote() const { return remote_; }
  std::string describe() const;
  // Bytes read from and written to the socket, handshake included.
  uint64_t bytesIn() const { return bytesIn_; }
  uint64_t bytesOut() const { return bytesOut_; }
  // Frames read after the handshake: the peer accepted us and spoke.
  uint64_t framesIn() const { return framesIn_; }
  // Times reading waited for the peer's verification budget.
  uint64_t readPauses() const { return readPauses_; }
  // Memory held by what is queued for the peer and by the write in flight.
  size_t queuedMemory() const { return transport_.queuedMemory() + writingMemory_; }
  // Clock ms when a write to the peer last completed (or the start).
  int64_t lastDrained() const { return lastDrained_; }
  // When the session opened, in ms since the epoch; 0 before kOpen.
  int64_t openedAt() const { return openedAt_; }
  // When start() ran, on the connection's clock.
  int64_t startedAt() const { return startedAt_; }
  // How far the peer is from us; nullopt until its first Heads arrived.
  std::optional<PeerLag> lag() const;
  // What the peer's latest Heads said of this node's own log (SyncConfig::self).
  std::optional<AuthorHead> selfHead() const;

 private:
  void armHelloDeadline();
  void readSome();
  void onRead(const boost::system::error_code& ec, size_t n);
  void serveInput();
  bool backlogged() const { return queuedMemory() > config_.pauseReadBytes; }
  void account();
  bool open();
  // Queues what the session asked for; returns the bytes queued.
  size_t handle(Effects fx);
  void drain(const std::string& why, CloseKind kind);
  void flush();
  void onWritten(const boost::system::error_code& ec);
  void scheduleTick();
  void onTick();
  void keepAlive(int64_t now);
  void readWhenPaid();

  tcp::socket socket_;
  tcp::endpoint remote_;
  boost::asio::steady_timer handshakeTimer_;
  boost::asio::steady_timer helloTimer_;  // inbound only
  boost::asio::steady_timer tickTimer_;
  boost::asio::steady_timer readPause_;  // waits out a verification debt
  PeerHost& host_;
  uint64_t id_;
  LogStore& log_;
  std::optional<PublicKey> expectedKey_;
  ConnectionConfig config_;
  MsClock clock_;
  MsClock wallClock_;
  Transport transport_;
  std::unique_ptr<SyncSession> session_;  // from kOpen on
  State state_ = State::kHandshaking;
  std::string drainReason_;
  CloseKind drainKind_ = CloseKind::kMisbehaved;
  int64_t lastHeard_ = 0;
  int64_t lastSent_ = 0;  // when a write last started
  int64_t lastPing_ = 0;
  uint64_t pings_ = 0;
  TokenBucket verifies_;  // verifyPerSecond: signature checks
  bool paused_ = false;   // a read waits on readPause_
  TokenBucket replies_;   // replyBytesPerSecond
  uint64_t readPauses_ = 0;
  int64_t openedAt_ = 0;
  int64_t startedAt_ = 0;
  uint64_t bytesIn_ = 0;
  uint64_t framesIn_ = 0;
  uint64_t bytesOut_ = 0;
  std::array<uint8_t, 16 * 1024> readBuf_{};
  // Messages read and not yet handled: one read's worth at most, since the
  // next read waits until they are.
  std::deque<Bytes> pendingIn_;
  bool waitingDrain_ = false;  // reading stopped until the backlog drains
  int64_t lastDrained_ = 0;
  SendMemory* sendMemory_;
  size_t accounted_ = 0;            // this connection's share of sendMemory_
  std::vector<Bytes> writeFrames_;  // the frames of the write in flight
  size_t writingMemory_ = 0;        // their memory
  bool writing_ = false;
};

}  // namespace allmenning
