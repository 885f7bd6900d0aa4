// The resource limits of a running node, from the [limits] section of
// allmenning.toml. Every bound on what one peer (or all of them together)
// can make the node hold or do is listed here; the defaults are those of
// the network shell (P2PConfig and the configs inside it), so there is one
// place for each. docs/configuration.md lists them, and docs/reliability.md
// says which attack each one answers.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>

#include "protocol/status.h"

namespace allmenning {

struct P2PConfig;

struct Limits {
  uint64_t maxPeers = 0;                 // open sessions, both directions
  uint64_t maxUnacceptedPeers = 0;       // inbound sessions of keys not accepted
  uint64_t maxPeersPerAddress = 0;       // of those, from one address
  uint64_t maxPeersPerPrefix = 0;        // of those, from one /24 or /64
  uint64_t maxHandshakes = 0;            // inbound connections still in their handshake
  uint64_t reservedHandshakes = 0;       // of those, for configured peers' addresses
  uint64_t maxHandshakesPerAddress = 0;  // of those, from one remote address
  uint64_t maxHandshakesPerPrefix = 0;   // of those, from one /24 or /64
  uint64_t connectsPerAddress = 0;       // new inbound connections a second, one address
  uint64_t connectsPerPrefix = 0;        // new inbound connections a second, one /24 or /64
  uint64_t handshakesPerSecond = 0;      // responder handshakes a second, node-wide
  uint64_t helloTimeoutMs = 0;           // an inbound connection's first 65 bytes
  uint64_t handshakeTimeoutMs = 0;       // connect + handshake
  uint64_t idleTimeoutMs = 0;            // nothing heard from a peer for this long
  uint64_t peerBufferBytes = 0;          // memory queued for one peer that it does not read
  uint64_t peerReadPauseBytes = 0;       // over this queued, the peer's messages are not read
  uint64_t bufferTotalBytes = 0;         // memory queued for all peers together
  uint64_t entriesInFlight = 0;          // entries asked of one peer, not yet received
  uint64_t verifyPerSecond = 0;          // signature checks one peer may cost per second
  uint64_t replyBytesPerSecond = 0;      // bytes of replies one peer may cost per second
  uint64_t banSeconds = 0;               // a peer that broke the protocol is refused this long
  uint64_t reconnectMaxMs = 0;           // longest wait between dials of a configured peer
  uint64_t maxVouchedPerVoucher = 0;     // keys one voucher's vouches admit (Store)
};

// One key of the [limits] table and the values it may take.
struct LimitKey {
  const char* name;  // e.g. "max_peers"
  uint64_t Limits::*field;
  uint64_t min;
  uint64_t max;
  const char* meaning;  // one line, for docs and --help
};
std::span<const LimitKey> limitKeys();

// The defaults: what P2PConfig{} holds.
Limits defaultLimits();
// Checks every value against its key's range, naming the key, and the keys
// that bound each other (reserved_handshakes below max_handshakes).
Status checkLimits(const Limits& limits);
// Copies the limits into the network shell's configuration.
void applyLimits(const Limits& limits, P2PConfig& config);

// File descriptors a running node may hold at once under these limits: one
// socket per session and per handshake, RocksDB's open table files, and a
// reserve (kReservedDescriptors) for the listener, the admin socket and its
// client, the search index, the event loop and stdio. The largest this can
// be (every limit at its maximum) is what the systemd unit's LimitNOFILE
// allows (deploy/debian/allmenning.service).
uint64_t descriptorsNeeded(const Limits& limits);
constexpr uint64_t kReservedDescriptors = 64;
// Raises the soft RLIMIT_NOFILE to `needed`, up to the hard limit. When the
// hard limit is lower, says so on `warn` (one line naming both numbers);
// the node then still runs, refusing connections it cannot open.
void raiseDescriptorLimit(uint64_t needed, const std::function<void(std::string_view)>& warn);

}  // namespace allmenning
