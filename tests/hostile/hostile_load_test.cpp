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
  EXPECT_TRUE(caseFromJson(json).isOk()) << json.substr(0, 200);
  return signedCaseJson(key, network, seq, prev, json);
}

// Publishes `n` big cases of the session's (trusted) author to V; returns
// the author's key. Keep the session open until V holds them: a socket
// closed with unread bytes is reset, and the reset may drop what V has not
// read yet.
PublicKey publishBigCases(Attacker* a, const Hash& network, uint64_t n) {
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
  PublicKey author = publishBigCases(bulk.get(), network_, kBig);
  ASSERT_TRUE(waitUntil([&] { return v_.seqOf(toHex(author)) == kBig; }, 20s))
      << "V did not store the big cases:\n"
      << v_.log();

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

// V with a reply budget of 1 MiB a second, so that what it serves in a few
// seconds is far below what the requests below ask for.
class ReplyBudgetTest : public HostileTest {
 protected:
  static constexpr uint64_t kReplyBytesPerSecond = 1 << 20;
  std::string extraLimits() const override {
    return "reply_bytes_per_second = " + std::to_string(kReplyBytesPerSecond) + "\n";
  }
};

// A peer that reads everything and asks cheaply for much: 50 Hellos
// without ack (each once answered with every head) and 40 Wants (each
// 90 bytes for 960 KiB). V answers heads requests at most once per heads
// interval, and serves the Wants at its reply budget; the peer is not
// closed, it is only served slowly.
TEST_F(ReplyBudgetTest, RepliesAreBudgeted) {
  constexpr uint64_t kBig = 64;
  constexpr int kHellos = 50;
  constexpr int kWants = 40;
  auto bulk = openSession(newKey(true));
  ASSERT_TRUE(bulk);
  PublicKey author = publishBigCases(bulk.get(), network_, kBig);
  ASSERT_TRUE(waitUntil([&] { return v_.seqOf(toHex(author)) == kBig; }, 20s))
      << "V did not store the big cases:\n"
      << v_.log();
  auto a = openSession(newKey(true));
  ASSERT_TRUE(a);
  beginAttack();
  auto start = SteadyClock::now();
  for (int i = 0; i < kHellos; ++i) ASSERT_TRUE(a->send(Hello{kProtocolVersion, network_, false}));
  for (int i = 0; i < kWants; ++i) ASSERT_TRUE(a->send(Want{author, 1, kBig}));
  size_t heads = 0, hellos = 0;
  uint64_t entryBytes = 0;
  auto until = start + 3s;
  while (SteadyClock::now() < until) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - SteadyClock::now());
    auto m = a->next(left);
    if (!m) continue;
    if (std::holds_alternative<Heads>(*m)) ++heads;
    if (std::holds_alternative<Hello>(*m)) ++hellos;
    if (auto* e = std::get_if<Entries>(&*m)) entryBytes += encodeMessage(*e).size();
  }
  auto seconds = std::chrono::duration<double>(SteadyClock::now() - start).count();
  endAttack();
  std::printf(
      "[figures] replies: %d Hellos answered with %zu Hellos and %zu Heads; %d Wants of 960 "
      "KiB served %llu bytes in %.1f s (budget %llu bytes/s)\n",
      kHellos, hellos, heads, kWants, static_cast<unsigned long long>(entryBytes), seconds,
      static_cast<unsigned long long>(kReplyBytesPerSecond));
  // The Heads sent at connect may come after the Hello openSession read.
  EXPECT_LE(heads, 2u) << "V answered every Hello with its Heads";
  // A second's worth at the start, then the rate, plus the reply in hand.
  EXPECT_LE(entryBytes, kReplyBytesPerSecond * static_cast<uint64_t>(seconds + 2) + (1u << 20))
      << "V served more than its reply budget";
  EXPECT_GT(entryBytes, 0u) << "V served nothing";
  EXPECT_FALSE(a->closedByVictim()) << "V closed a peer that was only asking";
}

}  // namespace
}  // namespace allmenning::testing
