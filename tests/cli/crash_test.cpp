// Crash safety of a running node. B receives a large sync from A while a
// thread publishes B's own cases through the CLI; B is SIGKILLed at seeded
// random moments and restarted. After each restart: `verify` passes, every
// case the CLI acknowledged is there, no head went backwards, and no seq of
// B's log ever carried two different entries (A, which receives B's log,
// must hold no fork proof of B either).
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "tests/cli/crash_util.h"
#include "tests/cli/federation.h"
#include "tests/test_util.h"

namespace allmenning {
namespace {

using namespace std::chrono_literals;
using testing::FedJson;
using testing::FedNode;
using testing::TempDir;

constexpr int kKills = 100;
// A's log: large enough that B is still receiving it at most kills. B's copy
// is dropped whenever it holds half of it, so its sync starts over.
constexpr uint64_t kSourceCases = 6000;
// How long B lives after its post-restart checks before it is killed.
constexpr int kMaxAliveMs = 300;

using testing::testSeed;  // ALLMENNING_TEST_SEED replays a run

class CrashTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::cout << "seed " << seed_ << " (ALLMENNING_TEST_SEED=" << seed_ << " replays it)\n";
    RecordProperty("seed", std::to_string(seed_));
    ASSERT_EQ(a_.key().size(), 64u);
    ASSERT_EQ(b_.key().size(), 64u);
    testing::trustEachOther({&a_, &b_});
    ASSERT_TRUE(testing::connect(b_, a_));
    std::string file = dir_ / "source.jsonl";
    std::string lines;
    for (uint64_t i = 1; i <= kSourceCases; ++i) {
      lines += testing::caseJson("src-" + std::to_string(i)) + "\n";
    }
    testing::writeFile(file, lines);
    auto r = a_.cli({"import", "--format", "jsonl", file});
    ASSERT_EQ(r.exitCode, 0) << testing::describe(r);
    sourceHead_ = a_.seqOf(a_.key());
    ASSERT_GE(sourceHead_, kSourceCases);
    ASSERT_TRUE(a_.start()) << a_.log();
    ASSERT_TRUE(b_.start()) << b_.log();
  }

  // B's head of A's log, from `status --json`.
  uint64_t copyAtB() {
    FedJson status = b_.status();
    EXPECT_FALSE(status.is_null() || status.is_discarded()) << b_.log();
    heads_.check(status, "B");
    return heads_.seqOf(a_.key());
  }

  // The checks after one restart of B.
  void checkB() {
    auto v = b_.cli({"verify"});
    EXPECT_EQ(v.exitCode, 0) << testing::describe(v) << b_.log();
    auto own = testing::ownLog(b_);
    ASSERT_TRUE(own.has_value()) << "export of B failed";
    log_.record(*own, "B after restart");
    author_.checkPresent(log_.caseIds());
    FedJson atA = a_.status();
    ASSERT_FALSE(atA.is_null() || atA.is_discarded()) << a_.log();
    for (const auto& f : atA["forks"]) EXPECT_NE(f["author"], b_.key()) << "A holds a fork of B";
  }

  unsigned seed_ = testSeed();
  std::mt19937 rng_{seed_};
  TempDir dir_;
  FedNode a_{dir_.path(), "a", "3434"};
  FedNode b_{dir_.path(), "b", "0301"};
  uint64_t sourceHead_ = 0;
  testing::HeadWatch heads_;
  testing::OwnLogWatch log_;
  testing::CaseAuthor author_{b_, dir_ / "own"};
};

TEST_F(CrashTest, SigkillDuringSyncAndAuthoring) {
  SCOPED_TRACE("seed " + std::to_string(seed_));
  auto started = std::chrono::steady_clock::now();
  int duringSync = 0, resets = 0;
  ASSERT_NO_FATAL_FAILURE(checkB());
  for (int kill = 1; kill <= kKills && !HasFailure(); ++kill) {
    SCOPED_TRACE("kill " + std::to_string(kill));
    uint64_t before = copyAtB();  // just before B's last moments
    author_.resume();
    std::this_thread::sleep_for(
        std::chrono::milliseconds(std::uniform_int_distribution<int>(0, kMaxAliveMs)(rng_)));
    b_.kill();
    author_.pause();
    std::cout << "kill " << kill << ": B held " << before << " of A's entries before\n";
    // Heads never go back, so a head below A's after the crash means B had
    // not finished when it was killed; above `before`, it was receiving.
    uint64_t after = 0;
    bool drop = before >= sourceHead_ / 2;
    if (drop) {
      // B holds half of A's log or more: drop its copy, so that it receives
      // A's log from the start after the restart, and verify stays quick.
      auto dropped = testing::dropCopyOf(b_, a_.key());
      ASSERT_TRUE(dropped.isOk()) << dropped.status().message();
      after = *dropped;
      EXPECT_GE(after, before) << "B's head of A went back in the crash";
      heads_.forget(a_.key());
      ++resets;
    }
    ASSERT_TRUE(b_.start()) << b_.log();
    uint64_t restarted = copyAtB();  // also checks that no head went back
    if (!drop) after = restarted;
    if (before < after && after < sourceHead_) ++duringSync;
    ASSERT_NO_FATAL_FAILURE(checkB());
  }
  author_.stop();
  auto seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::cout << kKills << " kills in " << seconds << " s; " << duringSync
            << " while B was receiving A's log (" << resets << " times B's copy was dropped); "
            << author_.acked().size() << " cases acknowledged of " << author_.attempts()
            << " put; B's own log has " << log_.size() << " entries\n";
  EXPECT_GE(duringSync, kKills / 2) << "too few kills landed during the sync";
  // Enough authoring to matter: about 190 puts are acknowledged in a plain
  // build, about 40 under the sanitizers, whose slower puts fit fewer into
  // each short life.
  EXPECT_GE(author_.acked().size(), static_cast<size_t>(kKills / 4));
  // A received B's log: every entry it holds is the one B signed at that seq.
  uint64_t head = log_.size();
  ASSERT_TRUE(testing::waitUntil([&] { return a_.seqOf(b_.key()) >= head; }, 30s));
  auto atA = testing::logOf(a_, b_.key());
  ASSERT_TRUE(atA.has_value());
  log_.record(*atA, "B's log as A holds it");
}

}  // namespace
}  // namespace allmenning
