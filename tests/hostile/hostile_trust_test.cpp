// Hostile peers and trust: what trust costs the node, and what a change of
// trust does to the sessions already open (issue 12). Each test attacks V
// (tests/hostile/hostile_fixture.h) while V keeps syncing with its honest
// peer H.
#include <signal.h>

#include <cstdio>
#include <regex>
#include <thread>

#include "protocol/sync.h"
#include "tests/hostile/hostile_fixture.h"

namespace allmenning::testing {
namespace {

using namespace std::chrono_literals;
using SteadyClock = std::chrono::steady_clock;

long long msSince(SteadyClock::time_point t) {
  return static_cast<long long>(
      std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::now() - t).count());
}

class HostileTrustTest : public HostileTest {
 protected:
  // Rewrites V's accept_peers and reloads its config (SIGHUP).
  void setAcceptPeers(const std::string& mode) {
    std::string path = v_.home() + "/allmenning.toml";
    std::string config =
        std::regex_replace(readFile(path), std::regex(R"(accept_peers = ['"][a-z]+['"])"),
                           "accept_peers = \"" + mode + "\"");
    writeFile(path, config);
    size_t reloads = victimLogCount("config event=reloaded");
    ASSERT_EQ(::kill(victimPid(), SIGHUP), 0);
    ASSERT_TRUE(waitUntil([&] { return victimLogCount("config event=reloaded") > reloads; }, 5s))
        << v_.log();
    ASSERT_GE(victimLogCount("key=node.accept_peers"), 1u) << v_.log();
  }

  uint64_t seqOf(const SecretKey& key) const { return v_.seqOf(toHex(key.publicKey())); }
};

// accept_peers = "trusted": a trusted peer has a session and relays the
// entries of another trusted author. Once `trust remove` takes its key, the
// session closes, the entry it sends next is not stored, and its key gets
// no session again.
TEST_F(HostileTrustTest, TrustRemoveClosesTheSessionInTrustedMode) {
  setAcceptPeers("trusted");
  auto key = newKey(/*trusted=*/true);
  auto author = newKey(/*trusted=*/true);
  auto a = openSession(key);
  ASSERT_TRUE(a);
  Entry first = signedCase(*author, network_, 1, Hash{}, "relayed-1");
  Entry second = signedCase(*author, network_, 2, first.hash, "relayed-2");
  ASSERT_TRUE(a->send(Entries{{toWire(first)}}));
  ASSERT_TRUE(waitUntil([&] { return seqOf(*author) == 1; }, 5s)) << "V did not sync the peer";

  beginAttack();
  auto removed = v_.cli({"trust", "remove", toHex(key->publicKey())});
  ASSERT_EQ(removed.exitCode, 0) << describe(removed);
  auto removedAt = SteadyClock::now();
  bool closed = a->waitClosed(3s);
  long long tookMs = msSince(removedAt);
  a->send(Entries{{toWire(second)}});  // refused by the socket once V closed it
  EXPECT_TRUE(closed) << "the removed key's session stayed open";
  std::this_thread::sleep_for(500ms);
  EXPECT_EQ(seqOf(*author), 1u) << "V synced an entry from the removed key's session";
  auto again = newAttacker(key);
  bool refused = !again->open(victimPort()).isOk() || again->waitClosed(3s);
  EXPECT_TRUE(refused) << "the removed key got a session again";
  endAttack();
  std::printf("[figures] trust remove: session closed %lld ms after the command (%s)\n", tookMs,
              closed ? "closed" : "still open");
  EXPECT_GE(victimLogCount("key no longer accepted"), 1u) << v_.log();
}

}  // namespace
}  // namespace allmenning::testing
