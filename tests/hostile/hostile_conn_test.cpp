// Hostile sockets rather than hostile messages: handshakes that stall and
// connections that never speak. What they may hold is bounded by the
// handshake pool (P2PConfig::maxHandshakes, maxHandshakesPerAddress) and
// the handshake timeout; V's session with H, which V dialed, is outside
// both.
#include <cstdio>
#include <thread>

#include "tests/hostile/hostile_fixture.h"

namespace allmenning::testing {
namespace {

using namespace std::chrono_literals;
using SteadyClock = std::chrono::steady_clock;

// (refusal lines, refusals) in a node's log: an "event=refused" line stands
// for one, an "event=refused_more count=N" line for N.
std::pair<size_t, size_t> refusalsLogged(const std::string& log) {
  size_t lines = 0, refusals = 0;
  for (const std::string& line : linesOf(log)) {
    size_t more = line.find("event=refused_more count=");
    if (more != std::string::npos) {
      ++lines;
      refusals += std::stoul(line.substr(more + 25));
    } else if (line.find("event=refused ") != std::string::npos) {
      ++lines;
      ++refusals;
    }
  }
  return {lines, refusals};
}

long long msSince(SteadyClock::time_point t) {
  return static_cast<long long>(
      std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::now() - t).count());
}

const Bytes kOneByte{kHandshakeVersion};  // the first byte of a valid hello

// A full handshake and Hello exchange from `address`: what an honest
// inbound peer needs.
bool sessionFrom(const std::string& address, uint16_t port, const Hash& network) {
  Attacker peer(address, SecretKey::generate(), network);
  if (!peer.open(port).isOk()) return false;
  return peer.send(Hello{kProtocolVersion, network, false}) && peer.nextOf<Hello>(5s).has_value();
}

// One byte of hello, then silence. V closes the connection when the hello
// timeout (the first 65 bytes) has passed, not before, and frees its slot;
// the closes are logged at most a line a second, with a count. With one
// address's share of the pool stalled, the next socket from that address is
// closed at once, and once the timeout has cleared them a real handshake
// from the same address gets a session.
TEST_F(HostileTest, SlowlorisHandshake) {
  beginAttack();
  auto lone = newAttacker(newKey(false));
  ASSERT_TRUE(lone->connect(victimPort()));
  auto started = SteadyClock::now();
  ASSERT_TRUE(lone->sendRaw(kOneByte));

  std::string crowdAddress = freshAddress();
  auto crowdKey = newKey(false);
  std::vector<std::unique_ptr<Attacker>> crowd;
  for (size_t i = 0; i < kMaxHandshakesPerAddress; ++i) {
    crowd.push_back(std::make_unique<Attacker>(crowdAddress, crowdKey, network_));
    ASSERT_TRUE(crowd.back()->connect(victimPort()));
    ASSERT_TRUE(crowd.back()->sendRaw(kOneByte));
  }
  Attacker extra(crowdAddress, crowdKey, network_);
  ASSERT_TRUE(extra.connect(victimPort()));
  extra.sendRaw(kOneByte);
  EXPECT_TRUE(extra.waitClosed(1s)) << "a socket beyond the address's share was let in";

  EXPECT_TRUE(lone->waitClosed(handshakeTimeout() + 3s)) << "the stalled hello stayed open";
  long long closedAfter = msSince(started);
  size_t crowdClosed = 0;
  for (auto& a : crowd) crowdClosed += a->waitClosed(2s) ? 1 : 0;
  bool freed = sessionFrom(crowdAddress, victimPort(), network_);
  endAttack();
  std::printf(
      "[figures] slowloris: closed after %lld ms (hello timeout %lld ms); %zu of %zu "
      "stalled from one address closed; a new handshake from it %s\n",
      closedAfter, static_cast<long long>(kHelloTimeoutMs), crowdClosed, crowd.size(),
      freed ? "succeeded" : "failed");
  EXPECT_GE(closedAfter, kHelloTimeoutMs * 9 / 10) << "closed before the timeout";
  EXPECT_LE(closedAfter, kHelloTimeoutMs + 2000);
  EXPECT_EQ(crowdClosed, crowd.size());
  EXPECT_TRUE(freed) << "the address's handshake slots were not freed";
  EXPECT_GE(victimLogCount("no hello within"), 1u);
  // The held-back closes are counted within a second.
  EXPECT_TRUE(waitUntil(
      [&] { return victimThrottled("closed_in_handshake").second >= 1 + crowd.size(); }, 3s))
      << "closes in the handshake went uncounted";
}

// 500 sockets from four addresses, opened and left silent. Beyond each
// address's share V hangs up at once; the rest hold handshake slots until
// the timeout. Meanwhile an honest peer from another address still gets a
// session, V keeps syncing with H, and afterwards V's descriptors are back
// where they were and the attackers' addresses may connect again.
TEST_F(HostileTest, FiveHundredIdleConnections) {
  constexpr size_t kIdle = 500;
  constexpr size_t kAddresses = 4;
  size_t fdsBefore = fdCount(victimPid());
  auto key = newKey(false);
  std::vector<std::string> addresses;
  for (size_t i = 0; i < kAddresses; ++i) addresses.push_back(freshAddress());

  beginAttack();
  std::vector<std::unique_ptr<Attacker>> idle;
  for (size_t i = 0; i < kIdle; ++i) {
    idle.push_back(std::make_unique<Attacker>(addresses[i % kAddresses], key, network_));
    ASSERT_TRUE(idle.back()->connect(victimPort())) << "connect " << i;
  }
  auto opened = SteadyClock::now();
  auto stillOpen = [&] {
    size_t n = 0;
    for (auto& a : idle) n += a->waitClosed(0ms) ? 0 : 1;
    return n;
  };
  size_t share = std::min(kMaxHandshakes, kAddresses * kMaxHandshakesPerAddress);
  waitUntil([&] { return stillOpen() <= share; }, 5s);
  size_t held = stillOpen();
  size_t fdsDuring = fdCount(victimPid());
  bool honestDuring = sessionFrom(freshAddress(), victimPort(), network_);

  bool allClosed = waitUntil([&] { return stillOpen() == 0; }, handshakeTimeout() + 5s).has_value();
  long long clearedAfter = msSince(opened);
  bool fdsBack = waitUntil([&] { return fdCount(victimPid()) <= fdsBefore + 2; }, 5s).has_value();
  size_t fdsAfter = fdCount(victimPid());
  bool honestAfter = sessionFrom(addresses[0], victimPort(), network_);
  endAttack();
  std::printf(
      "[figures] 500 idle: %zu held a handshake slot (share %zu), the rest closed at "
      "once; all closed after %lld ms; V fds %zu before, %zu during, %zu after\n",
      held, share, clearedAfter, fdsBefore, fdsDuring, fdsAfter);
  EXPECT_LE(held, share) << "more idle sockets got handshake slots than the pool allows";
  EXPECT_TRUE(honestDuring) << "an honest inbound peer was shut out during the attack";
  EXPECT_TRUE(allClosed) << stillOpen() << " idle sockets still open after the timeout";
  EXPECT_TRUE(fdsBack) << "V's descriptors: " << fdsBefore << " before, " << fdsAfter << " after";
  EXPECT_TRUE(honestAfter) << "an attacker's address could not connect after the timeout";
  // Every refusal is counted in the log, but in at most a line a second.
  auto [lines, refusals] = refusalsLogged(v_.log());
  std::printf("[figures] 500 idle: %zu refusals logged in %zu lines\n", refusals, lines);
  EXPECT_GE(refusals, kIdle - share);
  EXPECT_LE(lines, 2 * static_cast<size_t>(msSince(opened) / 1000 + 2));
}

}  // namespace
}  // namespace allmenning::testing
