// Who gets in (issue 12, points 1, 2, 7 and 9): the handshake pool, the
// session table, the rate of new connections and bans, attacked from many
// loopback addresses (127.0.0.0/8 is all loopback, so each attacker takes
// addresses of its own, in /24s of its own or shared as a test needs).
// IPv6 loopback is ::1 alone, so the /64 rules are shown by
// AdmissionTest (tests/node/admission_test.cpp) instead.
#include <atomic>
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
      "[figures] address ban: V's dial to a peer at the banned address synced after %lld "
      "ms (ban %lld ms)\n",
      took, static_cast<long long>(banTime().count() * 1000));
  EXPECT_TRUE(synced) << "V's own dial waited out the address ban";
  EXPECT_LT(took, banTime().count() * 1000) << "the checks left the ban";
  EXPECT_EQ(victimLogCount("peer banned"), 0u) << "V refused its own dial";
}

// Reads what each attacker was sent, so it answers V's Pings like a live
// peer; true while its connection is open.
size_t pumpOpen(std::vector<std::unique_ptr<Attacker>>& attackers) {
  size_t open = 0;
  for (auto& a : attackers) open += a->waitClosed(0ms) ? 0 : 1;
  return open;
}

// A session from `address` with `key`: handshake, Hello, V's Hello.
std::unique_ptr<Attacker> trySession(const std::string& address,
                                     std::shared_ptr<const SecretKey> key, uint16_t port,
                                     const Hash& network) {
  auto a = std::make_unique<Attacker>(address, std::move(key), network);
  if (!a->open(port).isOk()) return nullptr;
  if (!a->send(Hello{kProtocolVersion, network, false})) return nullptr;
  if (!a->nextOf<Hello>(3s)) return nullptr;
  return a;
}

// Point 1. Sixteen addresses (eight in one /24, eight in /24s of their
// own) each keep four sockets stalled after one byte of hello, and open a
// new one whenever V closes one: more than the whole pool. Meanwhile 20 of
// 20 honest handshakes from other networks get a session: the per-network
// share, the hello deadline and eviction of the oldest handshake keep the
// pool open.
TEST_F(HostileTest, HandshakePoolLockedByIdleSockets) {
  constexpr size_t kPerAddress = 4;
  constexpr size_t kHonest = 20;
  const Bytes oneByte{kHandshakeVersion};
  std::vector<std::string> addresses;
  std::string shared = freshPrefix();
  for (int i = 0; i < 8; ++i) addresses.push_back(shared + "." + std::to_string(2 + i));
  for (int i = 0; i < 8; ++i) addresses.push_back(freshAddress());
  auto key = newKey(false);
  std::vector<std::unique_ptr<Attacker>> stall;
  for (const std::string& address : addresses) {
    for (size_t i = 0; i < kPerAddress; ++i) {
      stall.push_back(std::make_unique<Attacker>(address, key, network_));
    }
  }
  std::atomic<bool> stop{false};
  std::atomic<size_t> reconnects{0};
  beginAttack();
  std::thread attacker([&] {
    while (!stop) {
      for (auto& a : stall) {
        if (a->connected() && !a->waitClosed(0ms)) continue;  // still stalled
        if (a->connect(victimPort()) && a->sendRaw(oneByte)) ++reconnects;
      }
      std::this_thread::sleep_for(50ms);
    }
  });
  std::this_thread::sleep_for(1s);  // the pool is full by now
  size_t honest = 0;
  auto started = SteadyClock::now();
  for (size_t i = 0; i < kHonest; ++i) {
    honest += trySession(freshAddress(), SecretKey::generate(), victimPort(), network_) ? 1 : 0;
    std::this_thread::sleep_for(100ms);
  }
  long long honestMs = msSince(started);
  stop = true;
  attacker.join();
  endAttack();
  auto [lines, closes] = victimThrottled("closed_in_handshake");
  std::printf(
      "[figures] idle handshakes: %zu sockets from %zu addresses, %zu connects; %zu of %zu "
      "honest handshakes got a session in %lld ms; %zu closes in handshake logged in %zu "
      "lines\n",
      stall.size(), addresses.size(), reconnects.load(), honest, kHonest, honestMs, closes, lines);
  EXPECT_EQ(honest, kHonest) << "honest handshakes were refused while idle sockets held the pool";
}

// Point 2. Fresh keys cost nothing: 63 of them from one address, then four
// from each of 12 more /24s, each completing its handshake and answering
// Pings. They hold few slots (per address, per network, and a share for
// keys V does not accept), so a peer V trusts still gets in; and once the
// table is full (max_peers lowered by a reload), the next trusted peer
// evicts one of theirs.
TEST_F(HostileTest, SessionTableHeldByFreshKeys) {
  constexpr size_t kOneHost = 63;
  constexpr size_t kNetworks = 12;
  std::vector<std::unique_ptr<Attacker>> held;
  beginAttack();
  std::string host = freshAddress();
  size_t fromHost = 0;
  for (size_t i = 0; i < kOneHost; ++i) {
    if (auto a = trySession(host, SecretKey::generate(), victimPort(), network_)) {
      ++fromHost;
      held.push_back(std::move(a));
    }
  }
  for (size_t n = 0; n < kNetworks; ++n) {
    std::string prefix = freshPrefix();
    for (int i = 0; i < 4; ++i) {
      auto a = trySession(prefix + "." + std::to_string(2 + i), SecretKey::generate(), victimPort(),
                          network_);
      if (a) held.push_back(std::move(a));
    }
    pumpOpen(held);
  }
  size_t holding = pumpOpen(held);
  auto trusted = trySession(freshAddress(), newKey(true), victimPort(), network_);
  EXPECT_TRUE(trusted) << "a peer V trusts was refused while fresh keys held the table";

  // The table full: the next trusted peer takes an untrusted one's slot.
  size_t sessions = v_.status()["connections"].size();
  EXPECT_TRUE(reloadVictimLimits("max_peers = " + std::to_string(sessions)));
  holding = pumpOpen(held);
  auto second = trySession(freshAddress(), newKey(true), victimPort(), network_);
  EXPECT_TRUE(second) << "a trusted peer was refused from a full table";
  EXPECT_TRUE(waitUntil([&] { return pumpOpen(held) == holding - 1; }, 3s))
      << "no untrusted session was evicted";
  size_t after = pumpOpen(held);
  endAttack();
  std::printf(
      "[figures] fresh keys: %zu of %zu sessions from one address, %zu in all of %zu; a trusted "
      "peer %s; with the table full (max_peers %zu) another %s, and %zu untrusted sessions "
      "remain\n",
      fromHost, kOneHost, holding, kOneHost + 4 * kNetworks, trusted ? "got in" : "was refused",
      sessions, second ? "got in" : "was refused", after);
  EXPECT_LE(fromHost, 4u) << "one address holds more than max_peers_per_address";
  EXPECT_LE(holding, 16u) << "untrusted keys hold more than max_unaccepted_peers";
}

// Point 7. A connect, hello and close loop costs the responder a key
// exchange and a signature each time, and used to cost a log line. From one
// address, the per-address bucket (8, then 2 a second) answers; from 64
// addresses in 64 /24s, the node-wide cap (here 50 a second) does. The
// closes are logged in a line a second.
TEST_F(HostileTest, ConnectHelloCloseLoop) {
  constexpr int kPerSecond = 50;
  constexpr auto kOne = 2s;
  constexpr auto kMany = 3s;
  constexpr int kThreads = 4;
  EXPECT_TRUE(reloadVictimLimits("handshakes_per_second = " + std::to_string(kPerSecond)));
  auto key = newKey(false);
  auto loop = [&](std::vector<std::unique_ptr<Attacker>>& from, std::chrono::milliseconds span,
                  size_t& tries, size_t& answered) {
    auto end = SteadyClock::now() + span;
    for (size_t i = 0; SteadyClock::now() < end; ++i) {
      Attacker& a = *from[i % from.size()];
      ++tries;
      if (a.connect(victimPort()) && a.hello(300ms).isOk()) ++answered;
      a.close();
    }
  };
  beginAttack();
  std::vector<std::unique_ptr<Attacker>> one;
  one.push_back(newAttacker(key));
  size_t oneTries = 0, oneAnswered = 0;
  loop(one, kOne, oneTries, oneAnswered);

  uint64_t cpuBefore = cpuMs(victimPid());
  std::vector<size_t> tries(kThreads), answered(kThreads);
  std::vector<std::vector<std::unique_ptr<Attacker>>> sets(kThreads);
  for (auto& set : sets) {
    for (int i = 0; i < 16; ++i) set.push_back(newAttacker(key));
  }
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] { loop(sets[t], kMany, tries[t], answered[t]); });
  }
  for (auto& t : threads) t.join();
  uint64_t cpu = cpuMs(victimPid()) - cpuBefore;
  size_t manyTries = 0, manyAnswered = 0;
  for (int t = 0; t < kThreads; ++t) {
    manyTries += tries[t];
    manyAnswered += answered[t];
  }
  std::this_thread::sleep_for(1500ms);  // the held-back counts are logged
  endAttack();
  auto [closeLines, closes] = victimThrottled("closed_in_handshake");
  auto [refusalLines, refusals] = victimThrottled("refused");
  long long seconds = std::chrono::duration_cast<std::chrono::seconds>(kOne + kMany).count();
  std::printf(
      "[figures] connect-hello-close: one address %zu tries, %zu answered in %lld s; 64 "
      "networks %zu tries, %zu answered in %lld s (cap %d/s), V used %llu ms of CPU; %zu closes "
      "in %zu lines, %zu refusals in %zu lines\n",
      oneTries, oneAnswered, static_cast<long long>(kOne.count()), manyTries, manyAnswered,
      static_cast<long long>(kMany.count()), kPerSecond, static_cast<unsigned long long>(cpu),
      closes, closeLines, refusals, refusalLines);
  EXPECT_LE(oneAnswered, 8u + 2 * kOne.count() + 2) << "one address is not rate-limited";
  EXPECT_LE(manyAnswered, static_cast<size_t>(kPerSecond * (kMany.count() + 1) * 11 / 10))
      << "the node-wide handshake rate is not capped";
  EXPECT_LE(closeLines, static_cast<size_t>(seconds + 3)) << "a line per closed connection";
  EXPECT_LE(victimLogCount("event=close "), 3u) << "closes in the handshake logged one by one";
  EXPECT_LE(refusalLines, static_cast<size_t>(seconds + 3));
  EXPECT_GE(closes + refusals, (oneTries + manyTries) * 9 / 10) << "closes went uncounted";
}

}  // namespace
}  // namespace allmenning::testing
