// The admission rules on their own, without sockets: prefixes, the
// handshake pool and its eviction, the session table, and the token
// buckets. IPv6 /64s are shown here (loopback has only ::1).
#include "node/net/admission.h"

#include <gtest/gtest.h>

namespace allmenning {
namespace {

IpAddress ip(const char* text) { return boost::asio::ip::make_address(text); }

Inbound at(uint64_t id, const char* address, int64_t since, bool favoured = false) {
  return {id, ip(address), since, favoured};
}

AdmissionLimits noRates() {
  AdmissionLimits l;
  l.connectsPerSecondPerAddress = 0;
  l.connectsPerSecondPerPrefix = 0;
  l.handshakesPerSecond = 0;
  return l;
}

TEST(Admission, PrefixesAreASlash24AndASlash64) {
  EXPECT_EQ(prefixOf(ip("192.0.2.77")), ip("192.0.2.0"));
  EXPECT_EQ(prefixOf(ip("::ffff:192.0.2.77")), ip("192.0.2.0"));
  EXPECT_EQ(prefixOf(ip("2001:db8:1:2:aaaa:bbbb:cccc:dddd")), ip("2001:db8:1:2::"));
  EXPECT_NE(prefixOf(ip("2001:db8:1:2::1")), prefixOf(ip("2001:db8:1:3::1")));
  EXPECT_EQ(plainAddress(ip("::ffff:10.0.0.1")), ip("10.0.0.1"));
}

// Four handshakes per address and eight per network: a host holding a /64
// fills its network's share, not the pool, whatever its count of addresses.
TEST(Admission, HandshakesAreCountedPerAddressAndPerNetwork) {
  Admission a(noRates());
  std::vector<Inbound> pool;
  for (int i = 0; i < 4; ++i) pool.push_back(at(i, "2001:db8::1", i));
  EXPECT_EQ(a.admitHandshake(ip("2001:db8::1"), false, pool, 10).refusal,
            "too many handshakes from address");
  for (int i = 0; i < 4; ++i) pool.push_back(at(10 + i, "2001:db8::2:0:0:9", 10 + i));
  EXPECT_EQ(a.admitHandshake(ip("2001:db8::ffff:1:2:3"), false, pool, 20).refusal,
            "too many handshakes from network");
  EXPECT_TRUE(a.admitHandshake(ip("2001:db8:0:1::1"), false, pool, 20).admitted());
  EXPECT_TRUE(a.admitHandshake(ip("198.51.100.1"), false, pool, 20).admitted());
}

// A full pool evicts its oldest handshake for a newcomer; the configured
// peers' slots are theirs alone, and theirs are never evicted.
TEST(Admission, AFullPoolEvictsTheOldestAndKeepsConfiguredPeersSlots) {
  AdmissionLimits l = noRates();
  l.maxHandshakes = 4;
  l.reservedHandshakes = 1;
  Admission a(l);
  std::vector<Inbound> pool{at(1, "198.51.100.1", 30), at(2, "198.51.101.1", 10),
                            at(3, "198.51.102.1", 20)};
  Verdict v = a.admitHandshake(ip("203.0.113.9"), false, pool, 40);
  ASSERT_TRUE(v.admitted());
  EXPECT_EQ(v.evict, 2u) << "the general slots are full: the oldest goes";
  v = a.admitHandshake(ip("203.0.113.9"), true, pool, 40);
  EXPECT_TRUE(v.admitted());
  EXPECT_FALSE(v.evict) << "a configured peer's address has a reserved slot";
  pool.push_back(at(4, "192.0.2.5", 0, /*favoured=*/true));
  v = a.admitHandshake(ip("203.0.113.9"), false, pool, 40);
  EXPECT_EQ(v.evict, 2u) << "the configured peer's handshake is not evicted, though oldest";
  std::vector<Inbound> configured{at(5, "192.0.2.5", 0, true), at(6, "192.0.2.6", 0, true),
                                  at(7, "192.0.2.7", 0, true), at(8, "192.0.2.8", 0, true)};
  EXPECT_EQ(a.admitHandshake(ip("203.0.113.9"), false, configured, 40).refusal,
            "too many handshakes");
}

// Unaccepted keys get a share of the table and a few slots per address
// and network; an accepted key evicts one of them from a full table, from
// the network holding the most.
TEST(Admission, AcceptedKeysHaveMostSessionSlotsAndEvictUnacceptedOnes) {
  AdmissionLimits l = noRates();
  l.maxPeers = 8;
  l.maxUnacceptedPeers = 4;
  Admission a(l);
  std::vector<Inbound> sessions{at(1, "198.51.100.1", 1), at(2, "198.51.100.2", 2),
                                at(3, "198.51.100.3", 3), at(4, "203.0.113.1", 9)};
  EXPECT_EQ(a.admitSession(ip("192.0.2.1"), false, sessions, 4).refusal,
            "too many peers of keys this node does not accept");
  EXPECT_TRUE(a.admitSession(ip("192.0.2.1"), true, sessions, 4).admitted());
  for (int i = 0; i < 4; ++i) sessions.push_back(at(10 + i, "192.0.2.1", 10 + i, true));
  Verdict v = a.admitSession(ip("192.0.2.9"), true, sessions, 8);
  ASSERT_TRUE(v.admitted());
  EXPECT_EQ(v.evict, 3u) << "the youngest of the most crowded network";

  AdmissionLimits tight = noRates();
  tight.maxPeersPerAddress = 2;
  tight.maxPeersPerPrefix = 3;
  Admission b(tight);
  std::vector<Inbound> one{at(1, "2001:db8::1", 1), at(2, "2001:db8::1", 2)};
  EXPECT_EQ(b.admitSession(ip("2001:db8::1"), false, one, 2).refusal,
            "too many peers from address");
  one.push_back(at(3, "2001:db8::2", 3));
  EXPECT_EQ(b.admitSession(ip("2001:db8::3"), false, one, 3).refusal,
            "too many peers from network");
  EXPECT_TRUE(b.admitSession(ip("2001:db8:0:1::3"), false, one, 3).admitted());
  EXPECT_TRUE(b.admitSession(ip("2001:db8::1"), true, one, 3).admitted()) << "accepted: no cap";
  std::vector<Inbound> accepted{at(1, "192.0.2.1", 1, true)};
  AdmissionLimits full = noRates();
  full.maxPeers = 1;
  EXPECT_EQ(Admission(full).admitSession(ip("192.0.2.2"), true, accepted, 1).refusal,
            "too many peers");
}

// New connections: a bucket of four seconds' worth per address and per
// network, refilled continuously, and a node-wide one of a second's worth.
TEST(Admission, TokenBucketsBoundNewConnections) {
  AdmissionLimits l;
  l.connectsPerSecondPerAddress = 2;
  l.connectsPerSecondPerPrefix = 4;
  l.handshakesPerSecond = 20;
  Admission a(l);
  int admitted = 0;
  for (int i = 0; i < 20; ++i)
    admitted += a.admitHandshake(ip("2001:db8::1"), false, {}, 0).admitted();
  EXPECT_EQ(admitted, 8);
  EXPECT_EQ(a.admitHandshake(ip("2001:db8::1"), false, {}, 0).refusal,
            "too many connections from address");
  EXPECT_TRUE(a.admitHandshake(ip("2001:db8::1"), false, {}, 500).admitted()) << "refilled";
  admitted = 0;
  for (int i = 0; i < 20; ++i) {
    std::string address = "2001:db8::2:" + std::to_string(i + 1);
    admitted += a.admitHandshake(ip(address.c_str()), false, {}, 500).admitted();
  }
  EXPECT_EQ(admitted, 9) << "the /64's 16 tokens: 8 spent at 0 ms, 2 back by 500, 1 spent";
  EXPECT_EQ(a.admitHandshake(ip("2001:db8::9"), false, {}, 500).refusal,
            "too many connections from network");
  // A configured peer's address answers to its own bucket only.
  EXPECT_TRUE(a.admitHandshake(ip("2001:db8::9"), true, {}, 500).admitted());
  admitted = 0;
  for (int i = 0; i < 40; ++i) {
    std::string address = "10.0." + std::to_string(i) + ".1";
    admitted += a.admitHandshake(ip(address.c_str()), false, {}, 500).admitted();
  }
  EXPECT_EQ(admitted, 10) << "the node-wide 20 (a second's worth), full again at 500 ms, less 10";
  EXPECT_EQ(a.admitHandshake(ip("10.9.9.9"), false, {}, 500).refusal,
            "too many handshakes a second");
  // A refused connection spends no token.
  EXPECT_TRUE(a.admitHandshake(ip("10.9.9.9"), false, {}, 600).admitted());
}

}  // namespace
}  // namespace allmenning
