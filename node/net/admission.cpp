#include "node/net/admission.h"

#include <algorithm>

namespace allmenning {

IpAddress plainAddress(const IpAddress& a) {
  if (a.is_v6() && a.to_v6().is_v4_mapped()) {
    return boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, a.to_v6());
  }
  return a;
}

IpAddress prefixOf(const IpAddress& address) {
  IpAddress a = plainAddress(address);
  if (a.is_v4()) return boost::asio::ip::address_v4(a.to_v4().to_uint() & 0xffffff00u);
  auto bytes = a.to_v6().to_bytes();
  std::fill(bytes.begin() + 8, bytes.end(), 0);
  return boost::asio::ip::address_v6(bytes);
}

// ---- Gates 1 and 2: at accept -------------------------------------------------

Verdict Admission::admitHandshake(const IpAddress& address, bool configured,
                                  const std::vector<Inbound>& handshakes, int64_t nowMs) {
  std::string refusal = rateRefusal(address, configured, nowMs);
  if (!refusal.empty()) return {refusal, std::nullopt};
  Verdict v = poolVerdict(address, configured, handshakes);
  if (!v.admitted()) return v;
  // Only now are the tokens spent: a refused connection costs no one else
  // a token, and the buckets count the handshakes actually run.
  IpAddress plain = plainAddress(address);
  const AdmissionLimits& l = limits_;
  take(byAddress_, plain, l.connectsPerSecondPerAddress, nowMs, true);
  if (!configured) {
    take(byPrefix_, prefixOf(plain), l.connectsPerSecondPerPrefix, nowMs, true);
    if (l.handshakesPerSecond > 0) {
      take(handshakes_, l.handshakesPerSecond, l.handshakesPerSecond, nowMs, true);
    }
  }
  return v;
}

// A configured peer's address answers only to its own bucket: others in its
// network, or elsewhere, cannot use up its share.
std::string Admission::rateRefusal(const IpAddress& address, bool configured, int64_t nowMs) {
  IpAddress plain = plainAddress(address);
  const AdmissionLimits& l = limits_;
  if (!take(byAddress_, plain, l.connectsPerSecondPerAddress, nowMs, false)) {
    return "too many connections from address";
  }
  if (configured) return "";
  if (!take(byPrefix_, prefixOf(plain), l.connectsPerSecondPerPrefix, nowMs, false)) {
    return "too many connections from network";
  }
  if (l.handshakesPerSecond > 0 &&
      !take(handshakes_, l.handshakesPerSecond, l.handshakesPerSecond, nowMs, false)) {
    return "too many handshakes a second";
  }
  return "";
}

// A full pool does not turn the newcomer away: the oldest handshake not
// from a configured peer's address makes room. An honest handshake takes a
// few round trips, so the oldest is nearly always one that stalls.
Verdict Admission::poolVerdict(const IpAddress& address, bool configured,
                               const std::vector<Inbound>& handshakes) const {
  const AdmissionLimits& l = limits_;
  IpAddress plain = plainAddress(address);
  IpAddress prefix = prefixOf(plain);
  size_t general = 0, fromAddress = 0, fromPrefix = 0;
  const Inbound* oldest = nullptr;
  for (const Inbound& h : handshakes) {
    if (plainAddress(h.address) == plain) ++fromAddress;
    if (h.favoured) continue;
    ++general;
    if (prefixOf(h.address) == prefix) ++fromPrefix;
    if (!oldest || h.since < oldest->since) oldest = &h;
  }
  if (fromAddress >= l.maxHandshakesPerAddress) return {"too many handshakes from address", {}};
  if (!configured && fromPrefix >= l.maxHandshakesPerPrefix) {
    return {"too many handshakes from network", {}};
  }
  // checkLimits refuses a reserve of the whole pool; a config built in
  // code keeps one slot for others.
  size_t reserved = l.maxHandshakes == 0 ? 0 : std::min(l.reservedHandshakes, l.maxHandshakes - 1);
  bool room =
      handshakes.size() < l.maxHandshakes && (configured || general < l.maxHandshakes - reserved);
  if (room) return {};
  if (oldest) return {"", oldest->id};
  return {"too many handshakes", {}};
}

// ---- Gate 3: the session -------------------------------------------------------

namespace {

// The youngest session of the network holding the most unaccepted ones:
// the attacker's, when one network crowds the table.
std::optional<uint64_t> evictionChoice(const std::vector<Inbound>& inbound) {
  std::map<IpAddress, size_t> perPrefix;
  for (const Inbound& s : inbound) {
    if (!s.favoured) ++perPrefix[prefixOf(s.address)];
  }
  const Inbound* choice = nullptr;
  size_t crowd = 0;
  for (const Inbound& s : inbound) {
    if (s.favoured) continue;
    size_t n = perPrefix[prefixOf(s.address)];
    if (!choice || n > crowd || (n == crowd && s.since > choice->since)) {
      choice = &s;
      crowd = n;
    }
  }
  if (!choice) return std::nullopt;
  return choice->id;
}

}  // namespace

std::string Admission::tableRefusal(const std::vector<Inbound>& inbound, size_t sessions) const {
  if (sessions < limits_.maxPeers || evictionChoice(inbound)) return "";
  return "too many peers";
}

Verdict Admission::admitSession(const IpAddress& address, bool accepted,
                                const std::vector<Inbound>& inbound, size_t sessions) const {
  const AdmissionLimits& l = limits_;
  if (accepted) {
    if (sessions < l.maxPeers) return {};
    auto evict = evictionChoice(inbound);
    if (evict) return {"", evict};
    return {"too many peers", {}};
  }
  IpAddress plain = plainAddress(address);
  IpAddress prefix = prefixOf(plain);
  size_t unaccepted = 0, fromAddress = 0, fromPrefix = 0;
  for (const Inbound& s : inbound) {
    if (s.favoured) continue;
    ++unaccepted;
    if (plainAddress(s.address) == plain) ++fromAddress;
    if (prefixOf(s.address) == prefix) ++fromPrefix;
  }
  if (fromAddress >= l.maxPeersPerAddress) return {"too many peers from address", {}};
  if (fromPrefix >= l.maxPeersPerPrefix) return {"too many peers from network", {}};
  if (unaccepted >= std::min(l.maxUnacceptedPeers, l.maxPeers)) {
    return {"too many peers of keys this node does not accept", {}};
  }
  if (sessions >= l.maxPeers) return {"too many peers", {}};
  return {};
}

// ---- Token buckets -------------------------------------------------------------

// A bucket not in the map is full. Full buckets are dropped once the map
// is at its bound, and if that is not enough, all are: the node-wide
// bucket still bounds the work, whatever the attacker's count of networks.
bool Admission::take(std::map<IpAddress, Bucket>& buckets, const IpAddress& key, uint32_t rate,
                     int64_t nowMs, bool spend) {
  if (rate == 0) return true;
  double capacity = static_cast<double>(rate) * kBurstSeconds;
  auto it = buckets.find(key);
  if (it == buckets.end()) {
    if (!spend) return true;
    if (buckets.size() >= kMaxBuckets) {
      for (auto at = buckets.begin(); at != buckets.end();) {
        take(at->second, rate, capacity, nowMs, false);
        at = at->second.tokens >= capacity ? buckets.erase(at) : std::next(at);
      }
      if (buckets.size() >= kMaxBuckets) buckets.clear();
    }
    it = buckets.emplace(key, Bucket{capacity, nowMs}).first;
  }
  return take(it->second, rate, capacity, nowMs, spend);
}

bool Admission::take(Bucket& b, double rate, double capacity, int64_t nowMs, bool spend) {
  if (b.tokens < 0) b = Bucket{capacity, nowMs};  // first use
  double elapsed = static_cast<double>(std::max<int64_t>(0, nowMs - b.at));
  b.tokens = std::min(capacity, b.tokens + rate * elapsed / 1000);
  b.at = nowMs;
  if (b.tokens < 1) return false;
  if (spend) b.tokens -= 1;
  return true;
}

}  // namespace allmenning
