// Hostile load rather than hostile bytes: peers that ask for much and read
// little, and a trusted author that floods the federation with keys. Every
// message is valid; what is bounded is what answering them may cost V
// (tests/hostile/hostile_fixture.h checks V's memory and its sync with H).
#include <cstdio>
#include <thread>

#include "protocol/case_json.h"
#include "protocol/sync.h"
#include "tests/hostile/hostile_fixture.h"

namespace allmenning::testing {
namespace {

using namespace std::chrono_literals;
using SteadyClock = std::chrono::steady_clock;

// A case of about 15 KB (a long summary), so that 64 of them fill one
// Entries message, the largest reply a single Want can get.
Entry bigCase(const SecretKey& key, const Hash& network, uint64_t seq, const Hash& prev) {
  std::string json = caseJson("big-" + std::to_string(seq));
  std::string summary;
  while (summary.size() < 15'000) summary += "Flomvarsling langs elva, malt hver time. ";
  json.insert(json.size() - 1, R"(,"summary":")" + summary + "\"");
  Header h;
  h.network = network;
  h.author = key.publicKey();
  h.seq = seq;
  h.prev = prev;
  h.kind = Kind::kCase;
  h.timestamp = std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count();
  auto payload = caseFromJson(json);
  EXPECT_TRUE(payload.isOk()) << payload.status().message();
  return signEntry(key, h, payload.isOk() ? *payload : Bytes{});
}

// Publishes `n` big cases of a new trusted author to V over one session;
// returns the author's key once V holds them all.
PublicKey publishBigCases(std::unique_ptr<Attacker> a, const Hash& network, uint64_t n) {
  Hash prev{};
  Entries batch;
  for (uint64_t seq = 1; seq <= n; ++seq) {
    Entry e = bigCase(a->secretKey(), network, seq, prev);
    prev = e.hash;
    batch.entries.push_back(toWire(e));
    if (batch.entries.size() == 32 || seq == n) {
      EXPECT_TRUE(a->send(batch));
      batch.entries.clear();
    }
  }
  return a->key();
}

// Many sessions that ask for the largest replies and never read them. Each
// Want (90 bytes) asks for 960 KiB; fourteen per session stay under the
// old per-connection bound of 16 MiB, so nothing closed them, and V held
// all of it. Now V answers only while a peer's backlog is under
// peer_read_pause_bytes and reads nothing more from it until it has read;
// a peer that takes nothing for idle_timeout_ms is closed as backlog. H's
// session is never closed meanwhile, and V's memory stays bounded.
TEST_F(HostileTest, SessionsThatNeverRead) {
  constexpr uint64_t kBig = 64;
  constexpr size_t kSessions = 16;
  constexpr size_t kWantsEach = 14;
  auto bulk = openSession(newKey(true));
  ASSERT_TRUE(bulk);
  PublicKey author = publishBigCases(std::move(bulk), network_, kBig);
  ASSERT_TRUE(waitUntil([&] { return v_.seqOf(toHex(author)) == kBig; }, 20s))
      << "V did not store the big cases";

  std::vector<std::unique_ptr<Attacker>> sessions;
  for (size_t i = 0; i < kSessions; ++i) {
    sessions.push_back(openSession(newKey(true)));
    ASSERT_TRUE(sessions.back());
  }
  beginAttack();
  for (auto& a : sessions) {
    for (size_t w = 0; w < kWantsEach; ++w) ASSERT_TRUE(a->send(Want{author, 1, kBig}));
  }
  // Alive as far as V can tell (it hears from them), and never reading.
  auto until = SteadyClock::now() + 9s;
  while (SteadyClock::now() < until) {
    for (auto& a : sessions) a->send(Ping{1});
    std::this_thread::sleep_for(500ms);
  }
  endAttack();
  size_t backlog = victimLogCount("kind=backlog");
  std::string honest = "peer=" + h_.key().substr(0, 16);
  size_t honestClosed = 0;
  for (const std::string& line : linesOf(v_.log())) {
    honestClosed +=
        line.find("event=close") != std::string::npos && line.find(honest) != std::string::npos;
  }
  std::printf(
      "[figures] never read: %zu sessions x %zu Wants of 960 KiB; %zu closed as backlog; "
      "H's session closed %zu times\n",
      kSessions, kWantsEach, backlog, honestClosed);
  EXPECT_GE(backlog, kSessions) << "V kept sessions that read nothing";
  EXPECT_EQ(honestClosed, 0u) << "V closed its session with H";
}

}  // namespace
}  // namespace allmenning::testing
