// End-to-end tests of `allmenning run`: the real binary in the background,
// and the same CLI commands sent through its admin socket. What a command
// prints and exits with through the socket must be exactly what it prints
// and exits with when it opens the node itself.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <future>
#include <regex>
#include <thread>

#include "node/node.h"
#include "tests/cli/running_node.h"
#include "tests/test_util.h"

namespace allmenning::testing {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

struct Command {
  std::vector<std::string> args;  // after --home HOME
  std::string stdinPath;
  std::string cwd;
};

ProcessResult runOn(const std::string& home, const Command& c) {
  std::vector<std::string> args{"--home", home};
  args.insert(args.end(), c.args.begin(), c.args.end());
  return runCli(args, c.stdinPath, c.cwd);
}

std::string joined(const std::vector<std::string>& args) {
  std::string out;
  for (const auto& a : args) out += a + " ";
  return out;
}

void expectSame(const ProcessResult& viaSocket, const ProcessResult& direct, const Command& c) {
  SCOPED_TRACE(joined(c.args));
  EXPECT_FALSE(viaSocket.timedOut);
  EXPECT_EQ(viaSocket.exitCode, direct.exitCode) << describe(viaSocket) << "\n" << describe(direct);
  EXPECT_EQ(viaSocket.out, direct.out);
  EXPECT_EQ(viaSocket.err, direct.err);
}

// Polls `done` until it holds or `limit` passes.
bool waitUntil(const std::function<bool()>& done, std::chrono::milliseconds limit = 20s) {
  auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (done()) return true;
    std::this_thread::sleep_for(100ms);  // polling interval, not an assertion
  }
  return done();
}

class RunTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::create_directories(work_);
    initHome(home_, "Lom kommune");
    writeFile(work_ + "/case1.json", caseJson("flom-a"));
    writeFile(work_ + "/case2.json", caseJson("flom-b", "planning"));
    writeFile(work_ + "/records.jsonl", caseJson("imp-a") + "\n" + caseJson("imp-b") + "\n");
    writeFile(work_ + "/bad.json", R"({"id":"bad"})");
    writeFile(work_ + "/bad.jsonl", caseJson("fine") + "\n" + R"({"id":"bad"})" + "\n");
  }

  void initHome(const std::string& home, const std::string& name) {
    auto r = runCli({"--home", home, "init", "--name", name, "--listen", "127.0.0.1:0"});
    ASSERT_EQ(r.exitCode, 0) << describe(r);
  }

  std::string idOf(const std::string& home) {
    auto r = runCli({"--home", home, "id"});
    EXPECT_EQ(r.exitCode, 0) << describe(r);
    return r.out.substr(0, 64);
  }

  TempDir dir_;
  std::string home_ = dir_ / "home";
  std::string work_ = dir_ / "work";
};

TEST_F(RunTest, CommandsThroughTheSocketMatchDirectRuns) {
  // A copy of the node as it was before any write: the writes are repeated
  // on it directly, after the running node stopped.
  std::string copy = dir_ / "copy";
  fs::copy(home_, copy, fs::copy_options::recursive);
  // A copied home holds authoring (backup_test.cpp); this one is never run
  // beside the original on a network.
  ASSERT_EQ(runCli({"--home", copy, "authoring", "resume", "--i-have-no-peers"}).exitCode, 0);
  const std::vector<Command> writes = {
      {{"case", "put", "case1.json"}, "", work_},
      {{"case", "put", "-"}, work_ + "/case2.json", ""},
      {{"import", "--format", "jsonl", "records.jsonl"}, "", work_},
      {{"case", "put", "bad.json"}, "", work_},
      {{"case", "put", "missing.json"}, "", work_},
      {{"import", "--format", "jsonl", "bad.jsonl"}, "", work_},
  };
  const std::vector<Command> reads = {
      {{"case", "show", "flom-a"}, "", ""},
      {{"case", "show", "flom-b", "--history", "--json"}, "", ""},
      {{"search"}, "", ""},
      {{"--json", "search", "--sector", "emergency"}, "", ""},
      {{"search", "--kommune", "12"}, "", ""},
      {{"case", "show", "no-such-case"}, "", ""},
      {{"export", "--format", "jsonl"}, "", ""},
      {{"export", "--format", "jsonl", "-o", "out.jsonl"}, "", work_},
      {{"verify"}, "", ""},
      {{"id"}, "", ""},
  };

  RunningNode node(home_, dir_ / "run.log");
  ASSERT_TRUE(node.waitReady()) << node.log();
  struct stat st {};
  ASSERT_EQ(::stat((home_ + "/admin.sock").c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  std::vector<ProcessResult> writeResults, readResults;
  for (const auto& c : writes) writeResults.push_back(runOn(home_, c));
  for (const auto& c : reads) readResults.push_back(runOn(home_, c));
  std::string exported = readFile(work_ + "/out.jsonl");
  EXPECT_EQ(writeResults[0].exitCode, 0) << describe(writeResults[0]);
  EXPECT_EQ(writeResults[3].exitCode, 2) << "bad input must exit 2 through the socket";
  // Paths in messages read as they were typed, not as the node resolved them.
  EXPECT_EQ(writeResults[5].exitCode, 2) << describe(writeResults[5]);
  EXPECT_NE(writeResults[5].err.find("\n  bad.jsonl:2: "), std::string::npos)
      << writeResults[5].err;
  EXPECT_EQ(writeResults[5].err.find(work_), std::string::npos) << writeResults[5].err;
  EXPECT_EQ(readResults[5].exitCode, 1) << "a missing case must exit 1 through the socket";

  EXPECT_EQ(node.stop(SIGTERM), 0) << node.log();
  EXPECT_FALSE(fs::exists(home_ + "/admin.sock"));
  std::string log = node.log();
  EXPECT_NE(log.find("stopping signal=SIGTERM"), std::string::npos) << log;
  std::regex line(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (INFO|WARN|ERROR) \S.*)");
  for (const auto& l : linesOf(log)) EXPECT_TRUE(std::regex_match(l, line)) << l;
  EXPECT_NE(log.find("admin command=\"case put\" exit=0"), std::string::npos) << log;

  for (size_t i = 0; i < writes.size(); ++i) {
    expectSame(writeResults[i], runOn(copy, writes[i]), writes[i]);
  }
  fs::remove(work_ + "/out.jsonl");
  for (size_t i = 0; i < reads.size(); ++i) {
    expectSame(readResults[i], runOn(home_, reads[i]), reads[i]);
  }
  EXPECT_EQ(readFile(work_ + "/out.jsonl"), exported);
  EXPECT_GT(exported.size(), 0u);
}

TEST_F(RunTest, ASecondRunIsRefusedAndALockedDatabaseIsExplained) {
  RunningNode node(home_, dir_ / "run.log");
  ASSERT_TRUE(node.waitReady()) << node.log();
  auto again = runCli({"--home", home_, "run"});
  EXPECT_EQ(again.exitCode, 1) << describe(again);
  EXPECT_NE(again.err.find("already running"), std::string::npos) << again.err;
  EXPECT_NE(again.err.find(home_ + "/admin.sock"), std::string::npos) << again.err;
  auto search = runCli({"--home", home_, "search"});
  EXPECT_EQ(search.exitCode, 0) << describe(search);

  // Without its socket the running node cannot be reached, and the
  // database is still locked: the error says so.
  fs::remove(home_ + "/admin.sock");
  auto locked = runCli({"--home", home_, "search"});
  EXPECT_EQ(locked.exitCode, 1) << describe(locked);
  EXPECT_NE(locked.err.find("in use by another process"), std::string::npos) << locked.err;
  EXPECT_EQ(node.stop(SIGINT), 0) << node.log();
}

// A command run directly holds the database for a moment, and a node that
// is starting holds it before its socket answers: neither makes the other
// fail.
TEST_F(RunTest, RunAndCommandsStartingTogetherBothSucceed) {
  {
    auto held = Node::open(home_, systemClock());
    ASSERT_TRUE(held.isOk()) << held.status().message();
    RunningNode node(home_, dir_ / "run1.log");
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    held->reset();  // the node must have waited for the lock, not given up
    ASSERT_TRUE(node.waitReady()) << node.log();
    EXPECT_EQ(node.stop(SIGTERM), 0) << node.log();
  }
  std::vector<std::future<ProcessResult>> commands;
  for (int i = 0; i < 4; ++i) {
    commands.push_back(std::async(std::launch::async, [this] {
      return runCli({"--home", home_, "search"});
    }));
  }
  RunningNode node(home_, dir_ / "run2.log");
  for (auto& c : commands) {
    ProcessResult r = c.get();
    EXPECT_EQ(r.exitCode, 0) << describe(r);
  }
  ASSERT_TRUE(node.waitReady()) << node.log();
  EXPECT_EQ(node.stop(SIGTERM), 0) << node.log();
}

TEST_F(RunTest, AStaleSocketFromAKilledNodeIsHarmless) {
  {
    RunningNode node(home_, dir_ / "run1.log");
    ASSERT_TRUE(node.waitReady()) << node.log();
    node.stop(SIGKILL);
  }
  ASSERT_TRUE(fs::exists(home_ + "/admin.sock"));
  auto direct = runOn(home_, {{"case", "put", "case1.json"}, "", work_});
  EXPECT_EQ(direct.exitCode, 0) << describe(direct);

  RunningNode node(home_, dir_ / "run2.log");
  ASSERT_TRUE(node.waitReady()) << node.log();
  auto viaSocket = runCli({"--home", home_, "case", "show", "flom-a"});
  EXPECT_EQ(viaSocket.exitCode, 0) << describe(viaSocket);
  EXPECT_EQ(node.stop(SIGTERM), 0) << node.log();
  EXPECT_FALSE(fs::exists(home_ + "/admin.sock"));
}

// Two nodes, set up entirely through their admin sockets while they run:
// trust and `peer add` take effect at once (the runtime dials), and a
// restarted node dials its stored peers at start.
TEST_F(RunTest, TwoRunningNodesSyncCases) {
  std::string other = dir_ / "other";
  initHome(other, "Skjak kommune");
  std::string idA = idOf(home_), idB = idOf(other);
  RunningNode a(home_, dir_ / "a.log");
  ASSERT_TRUE(a.waitReady()) << a.log();
  auto b = std::make_unique<RunningNode>(other, dir_ / "b1.log");
  ASSERT_TRUE(b->waitReady()) << b->log();
  auto ok = [](const ProcessResult& r) { return r.exitCode == 0; };
  ASSERT_TRUE(ok(runCli({"--home", home_, "trust", "add", idB})));
  ASSERT_TRUE(ok(runCli({"--home", other, "trust", "add", idA})));
  auto added =
      runCli({"--home", other, "peer", "add", "127.0.0.1:" + std::to_string(a.port()), idA});
  ASSERT_EQ(added.exitCode, 0) << describe(added);

  auto shown = [&](const std::string& home, const std::string& ref) {
    return ok(runCli({"--home", home, "case", "show", ref}));
  };
  ASSERT_TRUE(ok(runOn(home_, {{"case", "put", "case1.json"}, "", work_})));
  EXPECT_TRUE(waitUntil([&] { return shown(other, idA + "/flom-a"); })) << b->log();
  ASSERT_TRUE(ok(runOn(other, {{"case", "put", "case2.json"}, "", work_})));
  EXPECT_TRUE(waitUntil([&] { return shown(home_, idB + "/flom-b"); })) << a.log();

  EXPECT_EQ(b->stop(SIGTERM), 0) << b->log();
  ASSERT_TRUE(ok(runOn(home_, {{"import", "--format", "jsonl", "records.jsonl"}, "", work_})));
  b = std::make_unique<RunningNode>(other, dir_ / "b2.log");
  ASSERT_TRUE(b->waitReady()) << b->log();
  EXPECT_TRUE(waitUntil([&] { return shown(other, idA + "/imp-b"); })) << b->log();

  EXPECT_EQ(b->stop(SIGTERM), 0) << b->log();
  EXPECT_EQ(a.stop(SIGTERM), 0) << a.log();
  EXPECT_NE(a.log().find("p2p event=open"), std::string::npos) << a.log();
}

// Key hygiene at start: a key file others may read stops `run` before it
// opens a socket, with the command that fixes it; a key file planted as a
// symbolic link is refused by `init` without touching what it points to.
TEST_F(RunTest, KeyFileOthersMayReadStopsTheNodeWithTheFix) {
  std::string key = home_ + "/key";
  ASSERT_EQ(::chmod(key.c_str(), 0640), 0);
  auto r = runCli({"--home", home_, "run"}, "", "");
  EXPECT_EQ(r.exitCode, 1) << describe(r);
  EXPECT_NE(r.err.find("may be read by others; fix it with: chmod 600 " + key), std::string::npos)
      << r.err;
  EXPECT_FALSE(fs::exists(home_ + "/admin.sock"));
  ASSERT_EQ(::chmod(key.c_str(), 0600), 0);
  RunningNode node(home_, dir_ / "run.log");
  EXPECT_TRUE(node.waitReady()) << node.log();
}

TEST_F(RunTest, InitNeverWritesAKeyThroughAPlantedLink) {
  std::string home = dir_ / "planted";
  fs::create_directories(home);
  writeFile(dir_ / "target", "not a key");
  fs::create_symlink(dir_ / "target", home + "/key");
  auto r = runCli({"--home", home, "init", "--name", "Lom kommune"});
  EXPECT_NE(r.exitCode, 0) << describe(r);
  EXPECT_EQ(readFile(dir_ / "target"), "not a key");
  EXPECT_TRUE(fs::is_symlink(home + "/key"));
}

}  // namespace
}  // namespace allmenning::testing
