// The network shell of one node: a TCP listener, the configured peers it
// dials (and re-dials), and one PeerConnection per socket, all on one
// single-threaded io_context.
//
// The node moves bytes and fans results out; the sync protocol itself lives
// in the sans-I/O SyncSession. Entries one session accepts are pushed to
// every other open session, and entries authored here are pushed with
// publish(). A peer that breaks the protocol loses only its own connection
// and is refused for `banTime`: by key, and inbound connections also by
// remote address (never this node's own dials).
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>  // before Asio: Boost 1.74 headers rely on it under g++ 12
#include <vector>

#include "node/limits.h"
#include "node/net/admission.h"
#include "node/net/log_throttle.h"
#include "node/net/peer_connection.h"
#include "node/network_view.h"
#include "protocol/status.h"

namespace allmenning {

// A connection opened or closed, for observers (logs, tests, a status view).
struct PeerEvent {
  enum class Kind { kOpened, kClosed };
  Kind kind = Kind::kOpened;
  uint64_t connection = 0;
  bool dialed = false;
  PublicKey key{};                             // all zero when the handshake did not finish
  std::string remote;                          // "address:port"
  CloseKind closeKind = CloseKind::kShutdown;  // kClosed only
  std::string reason;                          // kClosed only
};

struct P2PConfig {
  boost::asio::ip::tcp::endpoint listen{boost::asio::ip::address_v4::loopback(), 0};
  std::vector<DialPeer> peers;
  std::chrono::milliseconds reconnectMin{500};
  // Short enough that a peer back from a partition is redialed within a
  // few seconds (tests/net/partition_test.cpp); one connect attempt every
  // 5 s to a peer that is down costs next to nothing.
  std::chrono::milliseconds reconnectMax{5'000};
  std::chrono::milliseconds banTime{60'000};  // zero: never ban
  // Who may come in (node/net/admission.h): sessions, the handshake pool,
  // and the rate of new inbound connections. A dialed connection is never
  // refused by these (we chose to dial it), but its session counts.
  AdmissionLimits admission;
  // Memory of what all connections together hold queued for their peers
  // (SendMemory). Over it, the sessions over connection.pauseReadBytes are
  // closed as backlog, the one whose output has waited longest first, until
  // the total is back within it.
  size_t maxBufferedTotal = size_t{32} << 20;
  ConnectionConfig connection;
  MsClock wallClock;  // ms since the epoch, for PeerStatus::since; empty: system clock

  // Observers, called on the node's thread. Keep them short.
  std::function<void(const std::vector<Entry>&)> onAccepted;  // received from peers
  std::function<void(const PeerEvent&)> onPeerEvent;
  // Each connect attempt to a dialed peer, the first and every redial.
  std::function<void(const DialPeer&)> onDial;
  // Called every `tickEvery` while run() goes (zero: never), so an observer
  // can tell that the event loop still turns: a handler that blocks the
  // loop delays the tick too.
  std::chrono::milliseconds tickEvery{0};
  std::function<void()> onTick;
  // One structured line per event; empty: stderr. Set a no-op to silence.
  std::function<void(std::string_view)> log;
};

class P2PNode : private PeerHost {
 public:
  // `identity` and `store` must outlive the node; `store` is only touched on
  // the node's thread while run() is going. `store.network()` must be
  // `network`. `policy` decides which keys may connect to us (empty: all).
  P2PNode(const SecretKey& identity, const Hash& network, LogStore& store, PeerPolicy policy,
          P2PConfig config, RandomFill random = systemRandom(), MsClock clock = steadyMsClock());
  ~P2PNode() override;
  P2PNode(const P2PNode&) = delete;
  P2PNode& operator=(const P2PNode&) = delete;

  // Binds and listens, and queues the first dials. Call once, before run().
  Status start();
  // The bound port (useful with port 0), valid after start().
  uint16_t localPort() const { return port_; }
  // Runs the io_context on the calling thread until stop(). Call once.
  void run();

  // Thread-safe: each queues its work onto the node's thread.
  //
  // Closes the listener, every connection and timer; run() then returns.
  void stop();
  // Pushes entries authored here to every open session. The caller has
  // applied them to the store already (on the node's thread: use post()).
  void publish(std::vector<Entry> entries);
  // Trust changed (a key trusted or distrusted, accept_peers reloaded):
  // closes every open session whose key `policy` no longer allows, and
  // tells the others, so each fetches what it may accept now instead of at
  // the next Heads round.
  void trustChanged();
  // Runs `fn` on the node's thread (e.g. to read or write the store).
  void post(std::function<void()> fn);
  // Starts dialing `peer`, with reconnect and backoff, unless it is dialed
  // already at that address; a new address for a dialed key replaces the old.
  void dial(DialPeer peer);
  // Stops dialing `key` and closes every connection with it, either way.
  void forget(const PublicKey& key);
  // Puts new limits in force (a config reload): the node's own bounds
  // (sessions, handshakes, bans, redial backoff) at once, the bounds of one
  // connection (timeouts, buffer, entries in flight, verify rate) for
  // connections opened from now on. Open sessions stay, even beyond a lower
  // max_peers.
  void setLimits(const Limits& limits);

  // Node thread only.
  size_t openPeers() const;
  // Open sessions, sorted by key.
  std::vector<PeerStatus> peerStatus() const;
  // The dialed peers, sorted by key.
  std::vector<DialStatus> dialStatus() const;

 private:
  // Shared with the handlers of its pending resolve, connect and timer, so
  // forget() can drop a slot while they are still queued.
  struct DialSlot;
  using SlotPtr = std::shared_ptr<DialSlot>;
  struct Peer {
    std::shared_ptr<PeerConnection> conn;
    SlotPtr slot;            // set for dialed connections
    bool announced = false;  // the session opened and was logged so
  };

  void accept();
  void onAccept(boost::asio::ip::tcp::socket socket);
  Verdict admitInbound(const boost::asio::ip::address& address);
  void addSlot(const DialPeer& peer);
  void dropSlots(const PublicKey& key);
  void connect(const SlotPtr& slot);
  void onConnected(const SlotPtr& slot, const boost::system::error_code& ec);
  void redial(const SlotPtr& slot, const std::string& why);
  void addConnection(boost::asio::ip::tcp::socket socket, SlotPtr slot);
  void shutdown();
  void tick();

  void onOpened(PeerConnection& conn) override;
  void onAccepted(PeerConnection& from, const std::vector<Entry>& entries) override;
  void onFork(PeerConnection& from, const ForkProof& proof) override;
  void onClosed(PeerConnection& conn, CloseKind kind, const std::string& why) override;
  void onQueued(PeerConnection& conn) override;

  std::vector<std::shared_ptr<PeerConnection>> openSessions() const;
  std::vector<Inbound> inbound(PeerConnection::State state, const PeerConnection* except) const;
  bool configuredAddress(const boost::asio::ip::address& address) const;
  void evict(uint64_t id, const std::string& why);
  size_t sessionCount(const PeerConnection* except) const;
  bool keyBanned(const PublicKey& key);
  bool addressBanned(const boost::asio::ip::address& address);
  void ban(const PeerConnection& conn);
  // Logs the event (through `throttle` if set) and tells the observer.
  void event(const PeerConnection& conn, PeerEvent::Kind kind, CloseKind closeKind,
             const std::string& why, LogThrottle* throttle = nullptr);
  void logLine(const std::string& line) const;

  boost::asio::io_context io_;
  const SecretKey& identity_;
  Hash network_;
  LogStore& store_;
  PeerPolicy policy_;
  P2PConfig config_;
  RandomFill random_;
  MsClock clock_;
  MsClock wallClock_;
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer acceptRetry_;
  uint16_t port_ = 0;
  bool stopped_ = false;
  uint64_t nextId_ = 1;
  std::vector<SlotPtr> slots_;
  std::map<uint64_t, Peer> peers_;  // by connection id
  SendMemory sendMemory_;           // of every connection in peers_
  // Refused until (clock ms); entries are dropped once they expire.
  std::map<PublicKey, int64_t> bannedKeys_;
  std::map<boost::asio::ip::address, int64_t> bannedAddresses_;
  boost::asio::steady_timer tick_;  // config_.onTick
  Admission admission_;
  // Inbound sockets turned away before their handshake, and those closed
  // before it ended: at most a line a second each, with a count.
  LogThrottle refusals_;
  LogThrottle earlyCloses_;
};

}  // namespace allmenning
