// A damaged search index costs a rebuild, never the node: every command
// reports the damage once, sets the folder aside, rebuilds it from the
// database and does its work; so does a running node, whether the damage
// was there when it started or came while it ran.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "tests/cli/running_node.h"
#include "tests/test_util.h"

namespace allmenning::testing {
namespace {

namespace fs = std::filesystem;

struct Damage {
  const char* name;
  std::function<void(const std::string& searchDir)> apply;
};

const std::vector<Damage>& damages() {
  static const std::vector<Damage> all = {
      {"an emptied iamglass",
       [](const std::string& dir) { std::ofstream(dir + "/iamglass", std::ios::trunc); }},
      {"a zeroed postlist.glass",
       [](const std::string& dir) { testing::zeroIndexTable(dir + "/postlist.glass"); }},
  };
  return all;
}

size_t countOf(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

class DamagedIndexTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto r = runCli({"--home", home_, "init", "--name", "Lom kommune", "--listen", "127.0.0.1:0"});
    ASSERT_EQ(r.exitCode, 0) << describe(r);
    for (const char* id : {"flom-a", "flom-b"}) {
      std::string file = dir_ / (std::string(id) + ".json");
      writeFile(file, caseJson(id));
      ASSERT_EQ(cli({"case", "put", file}).exitCode, 0);
    }
  }

  ProcessResult cli(std::vector<std::string> args) {
    args.insert(args.begin(), {"--home", home_});
    return runCli(args);
  }

  // The refs `search flom` finds, one line each, checked to say nothing on
  // stderr: the index it reads is whole again.
  std::string found() {
    auto r = cli({"search", "flom"});
    EXPECT_EQ(r.exitCode, 0) << describe(r);
    EXPECT_EQ(r.err, "");
    std::string refs;
    for (const auto& line : linesOf(r.out)) {
      if (line.find('/') == 64) refs += line.substr(65) + "\n";
    }
    return refs;
  }

  // What reports a damage: one line naming the folder and Xapian's error,
  // then the rebuild's progress.
  void expectReportedOnce(const std::string& log) {
    EXPECT_EQ(countOf(log, "search index: the files in " + home_ + "/search are damaged ("), 1u)
        << log;
    EXPECT_EQ(countOf(log, "Error: "), 1u) << log;  // e.g. "DatabaseCorruptError: ..."
    EXPECT_NE(log.find("; moved it to " + home_ + "/search.damaged-"), std::string::npos) << log;
    EXPECT_NE(log.find("search index: building from"), std::string::npos) << log;
    EXPECT_NE(log.find("search index: built: "), std::string::npos) << log;
  }

  // The folders set aside beside the index.
  size_t setAside() {
    size_t n = 0;
    for (const auto& e : fs::directory_iterator(home_)) {
      n += e.path().filename().string().starts_with("search.damaged-");
    }
    return n;
  }

  TempDir dir_;
  std::string home_ = dir_ / "home";
};

TEST_F(DamagedIndexTest, EveryCommandRebuildsADamagedIndexAndDoesItsWork) {
  const std::string expected = found();
  ASSERT_EQ(countOf(expected, "\n"), 2u) << expected;
  std::string newCase = dir_ / "ny.json";
  writeFile(newCase, caseJson("ny", "planning", "building"));
  const std::vector<std::vector<std::string>> commands = {
      {"reindex"},        {"id"},
      {"verify"},         {"export", "--format", "jsonl"},
      {"search", "flom"}, {"case", "show", "flom-a"},
      {"status"},
  };
  for (const auto& damage : damages()) {
    for (const auto& command : commands) {
      SCOPED_TRACE(std::string(damage.name) + ", then " + ::testing::PrintToString(command));
      damage.apply(home_ + "/search");
      auto r = cli(command);
      EXPECT_EQ(r.exitCode, 0) << describe(r);
      expectReportedOnce(r.err);
      EXPECT_EQ(found(), expected);
    }
    SCOPED_TRACE(std::string(damage.name) + ", then case put");
    damage.apply(home_ + "/search");
    auto put = cli({"case", "put", newCase});
    EXPECT_EQ(put.exitCode, 0) << describe(put);
    expectReportedOnce(put.err);
    EXPECT_EQ(found(), expected);
    ASSERT_EQ(cli({"case", "retract", "ny"}).exitCode, 0);
  }
  EXPECT_EQ(setAside(), 1u) << "only the latest damaged index is kept";
}

// Enough cases that the index's tables span many blocks: an open index
// reads most of them from disk, so damage under it shows.
TEST_F(DamagedIndexTest, ARunningNodeRebuildsAnIndexDamagedBeforeOrWhileItRuns) {
  std::string lines;
  for (int i = 0; i < 600; ++i) lines += caseJson("sak-" + std::to_string(i)) + "\n";
  writeFile(dir_ / "many.jsonl", lines);
  auto imported = cli({"import", "--format", "jsonl", dir_ / "many.jsonl"});
  ASSERT_EQ(imported.exitCode, 0) << describe(imported);
  const std::string expected = found();
  damages()[0].apply(home_ + "/search");
  RunningNode node(home_, dir_ / "run.log");
  ASSERT_TRUE(node.waitReady()) << node.log();
  expectReportedOnce(node.log());
  EXPECT_EQ(found(), expected);

  // Damage under the open index: the next search finds it, and the node
  // rebuilds and answers instead of failing or stopping.
  auto all = [&] {
    auto r = cli({"search", "--limit", "1000", "flomvarsling"});
    EXPECT_EQ(r.exitCode, 0) << describe(r);
    return r.out;
  };
  const std::string everything = all();
  ASSERT_NE(everything.find("602 cases"), std::string::npos) << everything;
  std::string before = node.log();
  for (const char* table : {"postlist.glass", "docdata.glass", "termlist.glass"}) {
    testing::zeroIndexTable(home_ + "/search/" + table);
  }
  EXPECT_EQ(all(), everything);
  EXPECT_EQ(found(), expected);
  std::string since = node.log().substr(before.size());
  expectReportedOnce(since);

  // An update that meets damage: stored, and found once the index is rebuilt.
  before = node.log();
  testing::zeroIndexTable(home_ + "/search/postlist.glass");
  std::string file = dir_ / "flom-c.json";
  writeFile(file, caseJson("flom-c"));
  auto put = cli({"case", "put", file});
  EXPECT_EQ(put.exitCode, 0) << describe(put);
  EXPECT_EQ(countOf(found(), "\n"), 3u);
  expectReportedOnce(node.log().substr(before.size()));
  EXPECT_EQ(node.stop(SIGTERM), 0) << node.log();
}

}  // namespace
}  // namespace allmenning::testing
