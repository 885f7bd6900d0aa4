// Who may come in: every decision on an inbound connection, in one place.
//
// An inbound connection passes three gates, each a method here that the
// P2PNode calls (node/net/p2p_node.cpp) with what it knows at that moment:
//   1. at accept, its address's and its network's rate of new connections
//      (token buckets) and the node-wide rate of responder handshakes;
//   2. at accept, a slot in the handshake pool, evicting the oldest
//      handshake when the pool is full;
//   3. when its handshake ends and its key is known, a session slot.
// Addresses are counted one by one and by network: the /24 of an IPv4
// address, the /64 of an IPv6 one, since a host that holds one address of
// a network often holds all of it. A configured peer's addresses have
// handshake slots of their own; keys this node accepts (trusted or vouched)
// have most of the session slots, and may evict a session of a key it does
// not accept. Dialed connections never come here: they are our choice.
//
// Pure: the node's connections are passed in, so the rules are tested
// without sockets (tests/node/admission_test.cpp).
#pragma once

#include <boost/asio/ip/address.hpp>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace allmenning {

using IpAddress = boost::asio::ip::address;

// `a` with an IPv4-mapped IPv6 address turned into its IPv4 address.
IpAddress plainAddress(const IpAddress& a);
// The network `a` is counted in: its /24 (IPv4) or /64 (IPv6), as an
// address with the host bits zero.
IpAddress prefixOf(const IpAddress& a);

struct AdmissionLimits {
  // Open sessions, both directions; dialed ones are never refused.
  size_t maxPeers = 64;
  // Of those, inbound sessions of keys this node does not accept.
  size_t maxUnacceptedPeers = 16;
  // Of those, from one address, and from one /24 or /64.
  size_t maxPeersPerAddress = 4;
  size_t maxPeersPerPrefix = 8;
  // Inbound connections still in their handshake.
  size_t maxHandshakes = 32;
  // Of those, slots only configured peers' addresses may take.
  size_t reservedHandshakes = 8;
  // Of those, from one address, and from one /24 or /64.
  size_t maxHandshakesPerAddress = 4;
  size_t maxHandshakesPerPrefix = 8;
  // New inbound connections a second from one address, and from one /24
  // or /64; each bucket holds kBurstSeconds of them. Zero: no limit.
  uint32_t connectsPerSecondPerAddress = 2;
  uint32_t connectsPerSecondPerPrefix = 8;
  // Responder handshakes a second, node-wide; the bucket holds one
  // second's worth. Zero: no limit.
  uint32_t handshakesPerSecond = 200;
};

// One inbound connection, as admission sees it.
struct Inbound {
  uint64_t id = 0;
  IpAddress address;
  int64_t since = 0;      // clock ms: accepted (a handshake) or opened (a session)
  bool favoured = false;  // a handshake: from a configured peer's address;
                          // a session: of a key this node accepts
};

// Let in (maybe closing `evict` first to make room), or refused for `refusal`.
struct Verdict {
  std::string refusal;            // empty: admitted
  std::optional<uint64_t> evict;  // the connection to close for the newcomer
  bool admitted() const { return refusal.empty(); }
};

class Admission {
 public:
  static constexpr int64_t kBurstSeconds = 4;
  // Buckets kept per map at most: at the bound, full ones are dropped, and
  // if all are in use, all are (the node-wide bucket still holds).
  static constexpr size_t kMaxBuckets = 16384;

  explicit Admission(AdmissionLimits limits = {}) : limits_(limits) {}
  void setLimits(const AdmissionLimits& limits) { limits_ = limits; }
  const AdmissionLimits& limits() const { return limits_; }

  // Gates 1 and 2, at accept: `handshakes` are the inbound ones in
  // progress. Takes the rate tokens of an admitted connection only.
  Verdict admitHandshake(const IpAddress& address, bool configured,
                         const std::vector<Inbound>& handshakes, int64_t nowMs);
  // Gate 0, at accept: "too many peers" when the table is full and holds
  // no session a newcomer could evict, so no handshake could end in one.
  std::string tableRefusal(const std::vector<Inbound>& inbound, size_t sessions) const;
  // Gate 3, when the handshake ended: `inbound` are the open inbound
  // sessions, `sessions` all open ones (dialed too).
  Verdict admitSession(const IpAddress& address, bool accepted, const std::vector<Inbound>& inbound,
                       size_t sessions) const;

 private:
  struct Bucket {
    double tokens = 0;
    int64_t at = 0;  // clock ms of the last refill
  };
  std::string rateRefusal(const IpAddress& address, bool configured, int64_t nowMs);
  Verdict poolVerdict(const IpAddress& address, bool configured,
                      const std::vector<Inbound>& handshakes) const;
  static bool take(std::map<IpAddress, Bucket>& buckets, const IpAddress& key, uint32_t rate,
                   int64_t nowMs, bool spend);
  static bool take(Bucket& b, double rate, double capacity, int64_t nowMs, bool spend);

  AdmissionLimits limits_;
  std::map<IpAddress, Bucket> byAddress_;
  std::map<IpAddress, Bucket> byPrefix_;
  Bucket handshakes_{-1, 0};  // tokens < 0: not filled yet
};

}  // namespace allmenning
