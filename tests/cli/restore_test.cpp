// A restored or copied home on a line A - hub - B: the node holds authoring,
// takes its own log back from the hub, and signs only after the hub has
// confirmed its head, so no seq of A ever carries two entries.
#include <gtest/gtest.h>

#include <filesystem>
#include <thread>

#include "protocol/crypto.h"
#include "tests/cli/federation.h"
#include "tests/test_util.h"

namespace allmenning {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using testing::FedJson;
using testing::FedNode;
using testing::waitUntil;

size_t forksOf(const FedNode& n) {
  FedJson s = n.status();
  return s.is_null() || s.is_discarded() ? 99 : s["forks"].size();
}

bool heldAt(const FedNode& n) {
  FedJson s = n.status();
  return !s.is_null() && s["node"]["authoring"]["held"].get<bool>();
}

class RestoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(initCrypto().isOk());
    testing::trustEachOther({&a_, &hub_, &b_});
    ASSERT_TRUE(testing::connect(a_, hub_));
    ASSERT_TRUE(testing::connect(b_, hub_));
  }

  void startLine() {
    for (FedNode* n : {&a_, &hub_, &b_}) ASSERT_TRUE(n->start()) << n->name() << n->log();
    ASSERT_TRUE(waitUntil([&] { return hub_.status()["connections"].size() == 2; }, 10s));
  }

  std::string caseFile(const std::string& id) {
    std::string file = dir_ / (id + ".json");
    testing::writeFile(file, testing::caseJson(id));
    return file;
  }

  // Publishes at A and waits until B holds A's log up to it.
  void putAndSpread(const std::string& id, uint64_t seq) {
    auto r = a_.cli({"case", "put", caseFile(id)});
    ASSERT_EQ(r.exitCode, 0) << testing::describe(r);
    ASSERT_TRUE(waitUntil([&] { return b_.seqOf(a_.key()) == seq; }, 10s)) << hub_.log();
  }

  // Starts A with its hub down and publishes at once, as an operator would:
  // A, whose home is old, must refuse to sign. Once the hub is back, A takes
  // its own log back, the hub confirms A's head, and the case is signed at
  // the seq after everything A signed before.
  void startAndPublishAtOnce(const std::string& id, uint64_t expectedSeq) {
    ASSERT_TRUE(hub_.stop());
    ASSERT_TRUE(a_.start()) << a_.log();
    std::string file = caseFile(id);
    auto first = a_.cli({"case", "put", file});
    EXPECT_EQ(first.exitCode, 1) << testing::describe(first);
    EXPECT_NE(first.err.find("authoring is held"), std::string::npos) << first.err;
    ASSERT_TRUE(hub_.start()) << hub_.log();
    testing::ProcessResult done = first;
    auto retry = [&] {
      if (done.exitCode != 0) done = a_.cli({"case", "put", file});
      return done.exitCode == 0;
    };
    ASSERT_TRUE(waitUntil(retry, 15s)) << testing::describe(done) << a_.log();
    EXPECT_NE(done.err.find("published as seq " + std::to_string(expectedSeq)), std::string::npos)
        << done.err;
    EXPECT_TRUE(waitUntil([&] { return b_.seqOf(a_.key()) == expectedSeq; }, 10s));
    for (FedNode* n : {&a_, &hub_, &b_}) {
      EXPECT_EQ(forksOf(*n), 0u) << n->name() << " recorded a fork";
      EXPECT_EQ(n->cli({"verify"}).exitCode, 0) << n->name();
    }
  }

  testing::TempDir dir_;
  FedNode a_{dir_.path(), "a", "3434"};
  FedNode hub_{dir_.path(), "hub", "3400"};
  FedNode b_{dir_.path(), "b", "3433"};
};

TEST_F(RestoreTest, RestoredNodeTakesItsLogBackBeforeItSigns) {
  ASSERT_NO_FATAL_FAILURE(startLine());
  ASSERT_NO_FATAL_FAILURE(putAndSpread("flom-1", 2));
  auto bk = a_.cli({"backup", dir_ / "a-backup"});  // online, through the running node
  ASSERT_EQ(bk.exitCode, 0) << testing::describe(bk);
  EXPECT_NE(bk.out.find("at seq 2"), std::string::npos) << bk.out;
  ASSERT_NO_FATAL_FAILURE(putAndSpread("flom-2", 3));
  ASSERT_NO_FATAL_FAILURE(putAndSpread("flom-3", 4));
  ASSERT_TRUE(a_.stop());
  fs::remove_all(a_.home());
  auto restored =
      testing::runProcess({ALLMENNING_BINARY, "--home", a_.home(), "restore", dir_ / "a-backup"});
  ASSERT_EQ(restored.exitCode, 0) << testing::describe(restored);
  EXPECT_EQ(a_.seqOf(a_.key()), 2u);
  ASSERT_NO_FATAL_FAILURE(startAndPublishAtOnce("flom-4", 5));
  EXPECT_FALSE(heldAt(a_));
  EXPECT_NE(a_.log().find("authoring resumed: peer " + hub_.key()), std::string::npos) << a_.log();
  EXPECT_TRUE(a_.show(a_.key() + "/flom-3").has_value())
      << "A took back the case it published after the backup";
}

TEST_F(RestoreTest, HomeCopiedWithCpTakesItsLogBackBeforeItSigns) {
  ASSERT_NO_FATAL_FAILURE(startLine());
  ASSERT_NO_FATAL_FAILURE(putAndSpread("flom-1", 2));
  ASSERT_TRUE(a_.stop());
  auto cp = testing::runProcess({"/bin/cp", "-a", a_.home(), dir_ / "a-copy"});
  ASSERT_EQ(cp.exitCode, 0) << testing::describe(cp);
  ASSERT_TRUE(a_.start());
  ASSERT_TRUE(waitUntil([&] { return hub_.status()["connections"].size() == 2; }, 10s));
  ASSERT_NO_FATAL_FAILURE(putAndSpread("flom-2", 3));
  ASSERT_NO_FATAL_FAILURE(putAndSpread("flom-3", 4));
  ASSERT_TRUE(a_.stop());
  fs::remove_all(a_.home());
  cp = testing::runProcess({"/bin/cp", "-a", dir_ / "a-copy", a_.home()});
  ASSERT_EQ(cp.exitCode, 0) << testing::describe(cp);
  ASSERT_NO_FATAL_FAILURE(startAndPublishAtOnce("flom-4", 5));
}

TEST_F(RestoreTest, RestoreWithNoPeerHoldsUntilAuthoringResume) {
  ASSERT_EQ(a_.cli({"case", "put", caseFile("flom-1")}).exitCode, 0);
  ASSERT_EQ(a_.cli({"backup", dir_ / "a-backup", "--json"}).exitCode, 0);
  fs::remove_all(a_.home());
  auto restored =
      testing::runProcess({ALLMENNING_BINARY, "--home", a_.home(), "restore", dir_ / "a-backup"});
  ASSERT_EQ(restored.exitCode, 0) << testing::describe(restored);
  ASSERT_TRUE(a_.start()) << a_.log();  // its one peer, the hub, is down
  auto put = a_.cli({"case", "put", caseFile("flom-2")});
  EXPECT_EQ(put.exitCode, 1) << testing::describe(put);
  EXPECT_NE(put.err.find("authoring is held"), std::string::npos) << put.err;
  EXPECT_NE(put.err.find("authoring resume --i-have-no-peers"), std::string::npos) << put.err;
  std::this_thread::sleep_for(1s);
  EXPECT_TRUE(heldAt(a_));
  auto text = a_.cli({"status"});
  EXPECT_NE(text.out.find("authoring held since"), std::string::npos) << text.out;
  EXPECT_NE(a_.log().find("authoring held"), std::string::npos) << a_.log();
  EXPECT_EQ(a_.cli({"authoring", "resume"}).exitCode, 2);
  EXPECT_TRUE(heldAt(a_));
  auto resume = a_.cli({"authoring", "resume", "--i-have-no-peers"});
  EXPECT_EQ(resume.exitCode, 0) << testing::describe(resume);
  EXPECT_FALSE(heldAt(a_));
  put = a_.cli({"case", "put", caseFile("flom-2")});
  EXPECT_EQ(put.exitCode, 0) << testing::describe(put);
  EXPECT_NE(put.err.find("published as seq 3"), std::string::npos) << put.err;
}

}  // namespace
}  // namespace allmenning
