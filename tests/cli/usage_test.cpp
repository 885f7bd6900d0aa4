// The command line itself, with the real binary: --version names the
// versions the build speaks, a misspelt command gets the one it was meant to
// be, a huge argument is echoed once and cut, an address `run` could not use
// is refused when it is given, and `import -` reads stdin.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "protocol/echo.h"
#include "protocol/entry.h"
#include "protocol/handshake.h"
#include "protocol/wire.h"
#include "storage/migrations.h"
#include "tests/cli/running_node.h"
#include "tests/test_util.h"

namespace allmenning {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using testing::describe;
using testing::linesOf;
using testing::ProcessResult;
using testing::readFile;
using testing::TempDir;
using testing::writeFile;

const fs::path kExamples = fs::path(ALLMENNING_SOURCE_DIR) / "deploy/examples";
const fs::path kCaseFile = kExamples / "flomvarsling-sma-vassdrag.json";

ProcessResult run(const std::vector<std::string>& args, const std::string& stdinPath = "") {
  return testing::runCli(args, stdinPath);
}

// How many separate runs of at least `least` bytes `c` the text holds.
size_t runsOf(const std::string& text, char c, size_t least) {
  size_t runs = 0;
  for (size_t at = 0; at < text.size();) {
    size_t end = text.find_first_not_of(c, at);
    if (end == std::string::npos) end = text.size();
    if (end - at >= least) ++runs;
    at = end == at ? at + 1 : end;
  }
  return runs;
}

TEST(UsageTest, VersionNamesEveryFormatFromItsConstant) {
  auto r = run({"--version"});
  ASSERT_EQ(r.exitCode, 0) << describe(r);
  EXPECT_EQ(r.out.rfind("allmenning ", 0), 0u) << r.out;
  for (const std::string& s :
       {std::string(kEntryDomain), "protocol        " + std::to_string(kProtocolVersion),
        "storage format  " + std::to_string(kStorageFormat)}) {
    EXPECT_NE(r.out.find(s), std::string::npos) << "missing " << s << " in\n" << r.out;
  }
  r = run({"--version", "--json"});
  ASSERT_EQ(r.exitCode, 0) << describe(r);
  json v = json::parse(r.out);
  EXPECT_EQ(v["program"], "allmenning");
  EXPECT_FALSE(v["version"].get<std::string>().empty());
  EXPECT_EQ(v["entryFormat"], kEntryDomain);
  EXPECT_EQ(v["protocol"], kProtocolVersion);
  EXPECT_EQ(v["handshake"], kHandshakeVersion);
  EXPECT_EQ(v["storageFormat"], kStorageFormat);
  // After a command, too: no node is opened for it.
  EXPECT_EQ(run({"search", "--version"}).out, run({"--version"}).out);
}

TEST(UsageTest, AMisspeltCommandGetsTheNearestOne) {
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  for (const Case& c : std::vector<Case>{
           {{"serach"}, "unknown command 'serach'; did you mean 'search'?"},
           {{"--home", "/nonexistent", "stauts"},
            "unknown command 'stauts'; did you mean 'status'?"},
           {{"case", "pu", "x.json"}, "unknown command 'case pu'; did you mean 'case put'?"},
           {{"trust", "lsit"}, "unknown command 'trust lsit'; did you mean 'trust list'?"},
           {{"frobnicate"}, "unknown command 'frobnicate'; the commands are: init, id, run"},
           {{"case"}, "case: a command is required: put, show, retract"},
       }) {
    auto r = run(c.args);
    EXPECT_EQ(r.exitCode, 2) << describe(r);
    EXPECT_NE(r.err.find(c.message), std::string::npos) << r.err;
    EXPECT_EQ(r.out, "");
  }
  auto r = run({"serach", "--json"});
  EXPECT_EQ(r.exitCode, 2) << describe(r);
  json j = json::parse(r.out);
  EXPECT_EQ(j["error"], "unknown command 'serach'; did you mean 'search'?");
  EXPECT_EQ(j["exit"], 2);
}

// One rule for every value an error repeats: at most 80 bytes of it, once.
TEST(UsageTest, AHugeArgumentIsEchoedOnceAndCut) {
  TempDir dir;
  std::string home = dir / "lom";
  ASSERT_EQ(run({"--home", home, "init", "--name", "Lom kommune"}).exitCode, 0);
  const std::string huge(10000, 'x');
  const std::string hugeHex(10000, 'a');
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"case", "show", huge},
           {"case", "show", huge + "/abc"},
           {"case", "retract", huge},
           {"need", "show", huge},
           {"trust", "add", hugeHex},
           {"peer", "add", huge + ":7400", std::string(64, 'b')},
           {"peer", "add", "127.0.0.1:" + huge, std::string(64, 'b')},
           {"search", "--cpv", huge},
           {"search", "--kommune", huge},
           {"search", "--procedure", huge},
           {"search", "--limit", huge},
           {"run", "--log-level", huge},
           {"vouch", std::string(64, 'b'), "--name", "Vågå kommune", "--orgnr", huge},
           {"vouch", std::string(64, 'b'), "--name", "Vågå kommune", "--kommunenummer", huge},
           {"init", "--name", "Lom kommune", "--network", huge},
           {"search", "--year", huge},
           {"export", "--format", huge},
           {huge},
           {"case", huge},
       }) {
    std::vector<std::string> argv{"--home", home};
    argv.insert(argv.end(), args.begin(), args.end());
    auto r = run(argv);
    SCOPED_TRACE((args.front() + " " + (args.size() > 1 ? args[1] : "")).substr(0, 60));
    EXPECT_EQ(r.exitCode, 2) << describe(r).substr(0, 400);
    EXPECT_LT(r.err.size(), 600u) << r.err.substr(0, 400);
    char c = std::find(args.begin(), args.end(), hugeHex) != args.end() ? 'a' : 'x';
    EXPECT_EQ(runsOf(r.err, c, 40), 1u) << "echoed once: " << r.err;
    EXPECT_EQ(r.err.find(std::string(kMaxEchoBytes + 1, c)), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(std::string(40, c) + "..."), std::string::npos) << r.err;
  }
}

TEST(UsageTest, AnAddressRunCannotUseIsRefusedWhenGiven) {
  TempDir dir;
  for (std::string bad : {"999.1.1.1:7400", "1.2.3:7400", "::1:7400", "[::g]:7400", "host:99999",
                          "host:", ":7400", "bad-.example:7400", "a b:7400", "127.0.0.1:-1"}) {
    std::string home = dir / ("bad" + std::to_string(std::hash<std::string>()(bad)));
    auto r = run({"--home", home, "init", "--name", "Lom kommune", "--listen", bad});
    EXPECT_EQ(r.exitCode, 2) << bad << ": " << describe(r);
    EXPECT_NE(r.err.find("listen: \"" + bad + "\" is not HOST:PORT: "), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(home + "/key")) << bad << ": nothing is written";
  }
  auto r =
      run({"--home", dir / "v4", "init", "--name", "Lom kommune", "--listen", "999.1.1.1:7400"});
  EXPECT_NE(r.err.find("999.1.1.1 is not an IPv4 address"), std::string::npos) << r.err;

  for (std::string good :
       {"127.0.0.1:0", "[::1]:7400", "localhost:7400", "node-1.kommune.no:7400", "0.0.0.0:7400"}) {
    std::string home = dir / ("good" + std::to_string(std::hash<std::string>()(good)));
    r = run({"--home", home, "init", "--name", "Lom kommune", "--listen", good});
    EXPECT_EQ(r.exitCode, 0) << good << ": " << describe(r);
  }

  // A config edited by hand is checked by the same rule when it is loaded.
  std::string home = dir / "edited";
  ASSERT_EQ(run({"--home", home, "init", "--name", "Lom kommune"}).exitCode, 0);
  std::string config = readFile(home + "/allmenning.toml");
  size_t at = config.find("0.0.0.0:7400");
  ASSERT_NE(at, std::string::npos) << config;
  writeFile(home + "/allmenning.toml", config.replace(at, 12, "999.1.1.1:7400"));
  r = run({"--home", home, "id"});
  EXPECT_EQ(r.exitCode, 2) << describe(r);
  EXPECT_NE(r.err.find("listen: \"999.1.1.1:7400\" is not HOST:PORT: 999.1.1.1 is not an IPv4"),
            std::string::npos)
      << r.err;

  // And a peer's address.
  r = run({"--home", dir / "good" + std::to_string(std::hash<std::string>()("localhost:7400")),
           "peer", "add", "999.1.1.1:7400", std::string(64, 'b')});
  EXPECT_EQ(r.exitCode, 2) << describe(r);
  EXPECT_NE(r.err.find("999.1.1.1 is not an IPv4 address"), std::string::npos) << r.err;
}

class ImportStdinTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(cli(other_, {"init", "--name", "Vågå kommune"}).exitCode, 0);
    ASSERT_EQ(cli(other_, {"case", "put", kCaseFile}).exitCode, 0);
    ASSERT_EQ(cli(other_, {"export", "--format", "ocds", "-o", dir_ / "cases.ocds.json"}).exitCode,
              0);
    json record = json::parse(readFile(kCaseFile));
    writeFile(dir_ / "bare.jsonl", record.dump() + "\n");
    ASSERT_EQ(cli(home_, {"init", "--name", "Lom kommune", "--listen", "127.0.0.1:0"}).exitCode, 0);
    key_ = cli(home_, {"id"}).out.substr(0, 64);
  }

  ProcessResult cli(const std::string& home, std::vector<std::string> args,
                    const std::string& stdinPath = "") {
    args.insert(args.begin(), {"--home", home});
    return testing::runCli(args, stdinPath);
  }

  // Both formats from stdin, each printing the case it stored, and nothing
  // left behind in the home.
  void importsBothFormats() {
    auto r = cli(home_, {"import", "--format", "jsonl", "-"}, dir_ / "bare.jsonl");
    ASSERT_EQ(r.exitCode, 0) << describe(r);
    EXPECT_EQ(r.out, key_ + "/flomvarsling-sma-vassdrag\n");
    r = cli(home_, {"case", "show", "flomvarsling-sma-vassdrag", "--json"});
    ASSERT_EQ(r.exitCode, 0) << describe(r);
    EXPECT_EQ(json::parse(r.out)["seq"], 2);
    // The OCDS export of the other node: one more version of no other case.
    r = cli(home_, {"import", "--format", "ocds", "-"}, dir_ / "cases.ocds.json");
    ASSERT_EQ(r.exitCode, 0) << describe(r);
    EXPECT_NE(r.err.find("from 1 releases"), std::string::npos) << r.err;
    // A bad line is named as a line of "-".
    writeFile(dir_ / "bad.jsonl", "{\"id\": \"x\"}\n");
    r = cli(home_, {"import", "--format", "jsonl", "-"}, dir_ / "bad.jsonl");
    EXPECT_EQ(r.exitCode, 2) << describe(r);
    EXPECT_NE(r.err.find("-:1: "), std::string::npos) << r.err;
    for (const auto& f : fs::directory_iterator(home_)) {
      EXPECT_EQ(f.path().filename().string().find("import-stdin"), std::string::npos) << f.path();
    }
  }

  TempDir dir_;
  std::string home_ = dir_ / "lom";
  std::string other_ = dir_ / "vaga";
  std::string key_;
};

TEST_F(ImportStdinTest, ImportDashReadsStdin) { importsBothFormats(); }

TEST_F(ImportStdinTest, ImportDashReadsStdinThroughARunningNode) {
  testing::RunningNode node(home_, dir_ / "run.log");
  ASSERT_TRUE(node.waitReady()) << node.log();
  importsBothFormats();
  EXPECT_EQ(node.stop(SIGTERM), 0) << node.log();
}

}  // namespace
}  // namespace allmenning
