#include "node/limits.h"

#include <sys/resource.h>

#include <array>

#include "node/net/p2p_node.h"
#include "storage/open_files.h"
#include "storage/store.h"

namespace allmenning {
namespace {

constexpr uint64_t kDay = 24 * 3600;
constexpr uint64_t kDayMs = kDay * 1000;

constexpr uint64_t kManyPerSecond = 1'000'000;

constexpr std::array<LimitKey, 23> kKeys{{
    {"max_peers", &Limits::maxPeers, 1, 10'000, "open peer sessions, both directions"},
    {"max_unaccepted_peers", &Limits::maxUnacceptedPeers, 0, 10'000,
     "of those, inbound sessions of keys this node does not accept"},
    {"max_peers_per_address", &Limits::maxPeersPerAddress, 1, 10'000,
     "of those, from one remote address"},
    {"max_peers_per_prefix", &Limits::maxPeersPerPrefix, 1, 10'000,
     "of those, from one /24 (IPv4) or /64 (IPv6)"},
    {"max_handshakes", &Limits::maxHandshakes, 1, 10'000,
     "inbound connections still in their handshake"},
    {"reserved_handshakes", &Limits::reservedHandshakes, 0, 9'999,
     "of those, slots only configured peers' addresses may take"},
    {"max_handshakes_per_address", &Limits::maxHandshakesPerAddress, 1, 10'000,
     "of those, from one remote address"},
    {"max_handshakes_per_prefix", &Limits::maxHandshakesPerPrefix, 1, 10'000,
     "of those, from one /24 (IPv4) or /64 (IPv6)"},
    {"connects_per_second_per_address", &Limits::connectsPerAddress, 0, kManyPerSecond,
     "new inbound connections a second from one address (0: no limit)"},
    {"connects_per_second_per_prefix", &Limits::connectsPerPrefix, 0, kManyPerSecond,
     "new inbound connections a second from one /24 or /64 (0: no limit)"},
    {"handshakes_per_second", &Limits::handshakesPerSecond, 0, kManyPerSecond,
     "inbound handshakes a second, node-wide (0: no limit)"},
    {"hello_timeout_ms", &Limits::helloTimeoutMs, 100, kDayMs,
     "time an inbound connection has for its first 65 bytes"},
    {"handshake_timeout_ms", &Limits::handshakeTimeoutMs, 100, kDayMs,
     "time for connect and handshake"},
    {"idle_timeout_ms", &Limits::idleTimeoutMs, 1'000, kDayMs,
     "a peer heard nothing from for this long is closed"},
    {"peer_buffer_bytes", &Limits::peerBufferBytes, 2 << 20, uint64_t{1} << 32,
     "memory queued for one peer that it does not read"},
    {"peer_read_pause_bytes", &Limits::peerReadPauseBytes, 16 << 10, 1 << 30,
     "with more queued for a peer, its messages wait until it has read"},
    {"buffer_total_bytes", &Limits::bufferTotalBytes, 2 << 20, uint64_t{1} << 36,
     "memory queued for all peers together"},
    {"entries_in_flight", &Limits::entriesInFlight, 1, 1'000'000,
     "entries asked of one peer and not yet received"},
    {"verify_per_second", &Limits::verifyPerSecond, 0, 10'000'000,
     "signature checks one peer may cost per second (0: no limit)"},
    {"reply_bytes_per_second", &Limits::replyBytesPerSecond, 0, uint64_t{1} << 34,
     "bytes of replies one peer may cost per second (0: no limit)"},
    {"ban_seconds", &Limits::banSeconds, 0, 30 * kDay,
     "how long a peer that broke the protocol is refused (0: never)"},
    {"reconnect_max_ms", &Limits::reconnectMaxMs, 100, kDayMs,
     "longest wait between dials of a configured peer"},
    {"max_vouched_per_voucher", &Limits::maxVouchedPerVoucher, 1, 10'000'000,
     "keys the vouches of one voucher admit; later vouches admit no one"},
}};

using std::chrono::milliseconds;

}  // namespace

std::span<const LimitKey> limitKeys() { return kKeys; }

Limits defaultLimits() {
  const P2PConfig p;
  const ConnectionConfig& c = p.connection;
  Limits l;
  const AdmissionLimits& a = p.admission;
  l.maxPeers = a.maxPeers;
  l.maxUnacceptedPeers = a.maxUnacceptedPeers;
  l.maxPeersPerAddress = a.maxPeersPerAddress;
  l.maxPeersPerPrefix = a.maxPeersPerPrefix;
  l.maxHandshakes = a.maxHandshakes;
  l.reservedHandshakes = a.reservedHandshakes;
  l.maxHandshakesPerAddress = a.maxHandshakesPerAddress;
  l.maxHandshakesPerPrefix = a.maxHandshakesPerPrefix;
  l.connectsPerAddress = a.connectsPerSecondPerAddress;
  l.connectsPerPrefix = a.connectsPerSecondPerPrefix;
  l.handshakesPerSecond = a.handshakesPerSecond;
  l.helloTimeoutMs = static_cast<uint64_t>(c.helloTimeout.count());
  l.handshakeTimeoutMs = static_cast<uint64_t>(c.handshakeTimeout.count());
  l.idleTimeoutMs = static_cast<uint64_t>(c.idleTimeout.count());
  l.peerBufferBytes = c.maxBufferedBytes;
  l.peerReadPauseBytes = c.pauseReadBytes;
  l.bufferTotalBytes = p.maxBufferedTotal;
  l.entriesInFlight = c.sync.maxEntriesInFlight;
  l.verifyPerSecond = c.verifyPerSecond;
  l.replyBytesPerSecond = c.replyBytesPerSecond;
  l.banSeconds = static_cast<uint64_t>(p.banTime.count() / 1000);
  l.reconnectMaxMs = static_cast<uint64_t>(p.reconnectMax.count());
  l.maxVouchedPerVoucher = Store::kDefaultMaxVouched;
  return l;
}

Status checkLimits(const Limits& limits) {
  for (const LimitKey& k : kKeys) {
    uint64_t v = limits.*k.field;
    if (v < k.min || v > k.max) {
      return Status::invalid("limits." + std::string(k.name) + ": " + std::to_string(v) +
                             " is outside " + std::to_string(k.min) + ".." + std::to_string(k.max));
    }
  }
  if (limits.reservedHandshakes >= limits.maxHandshakes) {
    return Status::invalid(
        "limits.reserved_handshakes: " + std::to_string(limits.reservedHandshakes) +
        " leaves no handshake slot for other addresses; it must be below "
        "max_handshakes (" +
        std::to_string(limits.maxHandshakes) + ")");
  }
  return Status::ok();
}

void applyLimits(const Limits& l, P2PConfig& p) {
  ConnectionConfig& c = p.connection;
  AdmissionLimits& a = p.admission;
  a.maxPeers = l.maxPeers;
  a.maxUnacceptedPeers = l.maxUnacceptedPeers;
  a.maxPeersPerAddress = l.maxPeersPerAddress;
  a.maxPeersPerPrefix = l.maxPeersPerPrefix;
  a.maxHandshakes = l.maxHandshakes;
  a.reservedHandshakes = l.reservedHandshakes;
  a.maxHandshakesPerAddress = l.maxHandshakesPerAddress;
  a.maxHandshakesPerPrefix = l.maxHandshakesPerPrefix;
  a.connectsPerSecondPerAddress = static_cast<uint32_t>(l.connectsPerAddress);
  a.connectsPerSecondPerPrefix = static_cast<uint32_t>(l.connectsPerPrefix);
  a.handshakesPerSecond = static_cast<uint32_t>(l.handshakesPerSecond);
  c.helloTimeout = milliseconds(l.helloTimeoutMs);
  c.handshakeTimeout = milliseconds(l.handshakeTimeoutMs);
  c.idleTimeout = milliseconds(l.idleTimeoutMs);
  c.maxBufferedBytes = l.peerBufferBytes;
  c.pauseReadBytes = l.peerReadPauseBytes;
  p.maxBufferedTotal = l.bufferTotalBytes;
  c.sync.maxEntriesInFlight = l.entriesInFlight;
  c.verifyPerSecond = static_cast<uint32_t>(l.verifyPerSecond);
  c.replyBytesPerSecond = l.replyBytesPerSecond;
  p.banTime = milliseconds(l.banSeconds * 1000);
  p.reconnectMax = milliseconds(std::max(l.reconnectMaxMs, uint64_t(p.reconnectMin.count())));
}

uint64_t descriptorsNeeded(const Limits& l) {
  return l.maxPeers + l.maxHandshakes + kStoreMaxOpenFiles + kReservedDescriptors;
}

void raiseDescriptorLimit(uint64_t needed, const std::function<void(std::string_view)>& warn) {
  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= needed) return;
  rlim_t wanted = rl.rlim_max == RLIM_INFINITY ? needed : std::min<rlim_t>(needed, rl.rlim_max);
  rlim_t before = rl.rlim_cur;
  rl.rlim_cur = wanted;
  if (::setrlimit(RLIMIT_NOFILE, &rl) != 0) rl.rlim_cur = before;
  if (rl.rlim_cur < needed) {
    warn("limits event=descriptors_short allowed=" + std::to_string(rl.rlim_cur) +
         " needed=" + std::to_string(needed) +
         " reason=\"max_peers and max_handshakes need more open files than RLIMIT_NOFILE "
         "allows; raise LimitNOFILE or lower them\"");
  }
}

}  // namespace allmenning
