// What the Node needs from the network shell while `allmenning run` is going.
//
// The Node serves every CLI command, with or without a running network. When
// the node runs, the runtime hands it a NetworkView so that entries authored
// here are pushed to peers at once, peers added or removed take effect at
// once, and `status` can show the connections. Every method is thread-safe:
// the Node calls them from the admin socket's thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "node/log.h"
#include "protocol/entry.h"
#include "protocol/wire.h"

namespace allmenning {

// One open connection, as `status` shows it.
struct PeerStatus {
  PublicKey key{};
  std::string address;  // "host:port" of the remote end
  bool dialed = false;  // we dialed it (else it dialed us)
  int64_t since = 0;    // ms since the epoch when the session opened
  uint64_t bytesIn = 0;
  uint64_t bytesOut = 0;
  // From the peer's last Heads: entries it has that we lack (ahead), and
  // entries we have that it lacks (behind). Unknown until its Heads arrive.
  bool lagKnown = false;
  uint64_t ahead = 0;
  uint64_t behind = 0;
  // What the peer's latest Heads said of this node's own log; nullopt until
  // it listed it (a peer that holds none of it never does).
  std::optional<AuthorHead> selfHead;
};

// A peer this node dials, and the key it must prove.
struct DialPeer {
  std::string host;
  uint16_t port = 0;
  PublicKey key{};
};

// A peer this node dials, as the dialer sees it.
struct DialStatus {
  PublicKey key{};
  std::string address;     // "host:port", as configured
  bool connected = false;  // a session this dialer opened is open now
  // Why the last attempt ended or failed ("connect: Connection refused",
  // "remote: the peer closed the connection during the handshake ...");
  // empty before the first attempt ended.
  std::string lastError;
};

class NetworkView {
 public:
  virtual ~NetworkView() = default;
  // Open sessions (handshake finished), sorted by key.
  virtual std::vector<PeerStatus> peers() = 0;
  // The peers this node dials, sorted by key: whether each one's own
  // dialed session is open, and why its last attempt ended.
  virtual std::vector<DialStatus> dialing() = 0;
  // Starts dialing `peer` (with reconnect and backoff), unless already dialed.
  virtual void dial(const DialPeer& peer) = 0;
  // Stops dialing `key` and closes its connections.
  virtual void forget(const PublicKey& key) = 0;
  // Pushes entries this node stored (authored or imported) to every session.
  virtual void publish(std::vector<Entry> entries) = 0;
  // Trust changed (trust add or remove, accept_peers reloaded): sessions
  // whose key is no longer allowed close, the others ask their peer at
  // once for authors this node accepts now.
  virtual void trustChanged() = 0;
  // The address the P2P listener is bound to, "host:port".
  virtual std::string listenAddress() = 0;
  // A line in the running node's log.
  virtual void log(LogLevel level, std::string_view message) const = 0;
};

}  // namespace allmenning
