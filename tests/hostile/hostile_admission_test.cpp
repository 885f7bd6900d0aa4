// Who gets in (issue 12, points 1, 2, 7 and 9): the handshake pool, the
// session table, the rate of new connections and bans, attacked from many
// loopback addresses (127.0.0.0/8 is all loopback, so each attacker takes
// addresses of its own, in /24s of its own or shared as a test needs).
// IPv6 loopback is ::1 alone, so the /64 rules are shown by
// AdmissionTest (tests/node/admission_test.cpp) instead.
#include <cstdio>
#include <thread>

#include "tests/hostile/hostile_fixture.h"

namespace allmenning::testing {
namespace {

using namespace std::chrono_literals;
using SteadyClock = std::chrono::steady_clock;

long long msSince(SteadyClock::time_point t) {
  return static_cast<long long>(
      std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::now() - t).count());
}

// Point 9. An attacker at 127.0.0.1 earns an address ban; V's own dial to
// an honest neighbour at the same address (a shared server, a NAT) still
// opens within the ban, while inbound connections from it stay refused.
TEST_F(HostileTest, AddressBanSparesTheNodesOwnDials) {
  FedNode neighbour(dir_.path(), "neighbour", "3435");
  ASSERT_EQ(neighbour.key().size(), 64u) << "the neighbour did not init";
  ASSERT_EQ(v_.cli({"trust", "add", neighbour.key(), "--name", "neighbour"}).exitCode, 0);
  ASSERT_TRUE(neighbour.start()) << neighbour.log();
  const Bytes header{0xff, 0xff, 0xff, 0xff};

  beginAttack();
  Attacker a("127.0.0.1", newKey(false), network_);
  ASSERT_TRUE(a.open(victimPort()).isOk());
  ASSERT_TRUE(a.sendRaw(header));
  ASSERT_TRUE(a.waitClosed(2s)) << "V kept a 4 GiB frame header";
  auto bannedAt = SteadyClock::now();
  Attacker again("127.0.0.1", newKey(false), network_);
  EXPECT_FALSE(again.open(victimPort()).isOk()) << "the banned address got a handshake";

  ASSERT_TRUE(connect(v_, neighbour));
  bool synced = waitUntil([&] { return v_.seqOf(neighbour.key()) >= 1; }, banTime()).has_value();
  long long took = msSince(bannedAt);
  endAttack();
  std::printf(
      "[figures] address ban: V's dial to a peer at the banned address "
      "synced after %lld "
      "ms (ban %lld ms)\n",
      took, static_cast<long long>(banTime().count() * 1000));
  EXPECT_TRUE(synced) << "V's own dial waited out the address ban";
  EXPECT_LT(took, banTime().count() * 1000) << "the checks left the ban";
  EXPECT_EQ(victimLogCount("peer banned"), 0u) << "V refused its own dial";
}

}  // namespace
}  // namespace allmenning::testing
