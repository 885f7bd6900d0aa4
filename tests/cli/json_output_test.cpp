// --json with the real binary: every command, the write commands included,
// writes one JSON document on stdout, and every error (bad input, a missing
// case, a command line that does not parse, a node that is not there) is a
// JSON object naming the message and the exit status. Directly and through a
// running node's admin socket.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "tests/cli/running_node.h"
#include "tests/test_util.h"

namespace allmenning {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using testing::describe;
using testing::ProcessResult;
using testing::readFile;
using testing::TempDir;
using testing::words;
using testing::writeFile;

const fs::path kExamples = fs::path(ALLMENNING_SOURCE_DIR) / "deploy/examples";
const fs::path kCaseFile = kExamples / "flomvarsling-sma-vassdrag.json";
const fs::path kNeedFile = kExamples / "needs/varsel-flom-sma-elver.json";
const std::string kOtherKey(64, 'b');

// The one JSON document `r` printed on stdout; a failure when there is none.
json documentOf(const ProcessResult& r) {
  json j = json::parse(r.out, nullptr, /*allow_exceptions=*/false);
  EXPECT_FALSE(j.is_discarded()) << "stdout is not one JSON document: " << describe(r) << "\n"
                                 << r.out;
  return j;
}

class JsonOutputTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto r = cli({"init", "--name", "Lom kommune", "--kommunenummer", "3434", "--listen",
                  "127.0.0.1:0", "--json"});
    ASSERT_EQ(r.exitCode, 0) << describe(r);
    json init = documentOf(r);
    EXPECT_EQ(init["home"], home_);
    EXPECT_EQ(init["name"], "Lom kommune");
    key_ = init["id"];
    ASSERT_EQ(key_.size(), 64u);
    writeFile(dir_ / "experience.json", experience().dump());
  }

  ProcessResult cli(std::vector<std::string> args, const std::string& stdinPath = "") {
    args.insert(args.begin(), {"--home", home_});
    return testing::runCli(args, stdinPath);
  }

  // Runs `args` with --json, expects exit 0 and returns the document.
  json ok(const std::vector<std::string>& args, const std::string& stdinPath = "") {
    std::vector<std::string> withJson = args;
    withJson.push_back("--json");
    auto r = cli(withJson, stdinPath);
    EXPECT_EQ(r.exitCode, 0) << ::testing::PrintToString(args) << ": " << describe(r);
    return documentOf(r);
  }

  // Runs `args` with --json, expects exit `code` and an error object.
  json error(const std::vector<std::string>& args, int code) {
    std::vector<std::string> withJson = args;
    withJson.push_back("--json");
    auto r = cli(withJson);
    EXPECT_EQ(r.exitCode, code) << ::testing::PrintToString(args) << ": " << describe(r);
    json j = documentOf(r);
    EXPECT_TRUE(j.is_object() && j.contains("error") && j["error"].is_string() &&
                !j["error"].get<std::string>().empty())
        << r.out;
    EXPECT_EQ(j.value("exit", -1), code) << r.out;
    return j;
  }

  // An experience about another body's case, which this node does not hold.
  json experience() const {
    return json{{"id", "erfaring-flom"},
                {"case", kOtherKey + "/flomvarsling"},
                {"text", "Vi brukte løsningen i to år."}};
  }

  // Every command with --json, each answering one document.
  void everyCommand() {
    json put = ok({"case", "put", kCaseFile});
    EXPECT_EQ(put["ref"], key_ + "/flomvarsling-sma-vassdrag");
    EXPECT_EQ(put["kind"], "case");
    EXPECT_EQ(put["seq"], 2);
    EXPECT_EQ(put["unchanged"], false);
    EXPECT_EQ(ok({"case", "put", "-"}, kCaseFile)["unchanged"], true);
    EXPECT_EQ(ok({"case", "show", "flomvarsling-sma-vassdrag"})["seq"], 2);
    EXPECT_EQ(ok({"need", "put", kNeedFile})["kind"], "need");
    std::string need = json::parse(readFile(kNeedFile))["id"];
    EXPECT_TRUE(ok({"need", "show", need}).contains("record"));
    EXPECT_TRUE(ok({"need", "match", need}).is_array());
    json x = ok({"experience", "put", dir_ / "experience.json"});
    EXPECT_EQ(x["kind"], "experience");
    EXPECT_TRUE(x.contains("warning")) << x;  // the case is not here yet
    json page = ok({"search", "flom"});
    EXPECT_EQ(page["total"], 1);
    EXPECT_EQ(page["cases"].size(), 1u);
    EXPECT_EQ(ok({"search", "flom", "--offset", "1"})["cases"].size(), 0u);
    EXPECT_EQ(ok({"need", "list"}).size(), 1u);
    EXPECT_TRUE(ok({"need", "search", "flom"}).is_array());
    EXPECT_EQ(ok({"experience", "show", "erfaring-flom"})["about"], nullptr);
    EXPECT_EQ(ok({"profile", "show"})["name"], "Lom kommune");
    json profile = ok({"profile", "set", "--kommunenummer", "3434"});
    EXPECT_EQ(profile["unchanged"], true);
    EXPECT_EQ(profile["kommunenummer"], "3434");
    EXPECT_EQ(ok({"authoring", "resume", "--i-have-no-peers"})["resumed"], false);
    json backup = ok({"backup", dir_ / "backup"});
    EXPECT_EQ(backup["node"], key_);
    EXPECT_GT(backup["files"].get<uint64_t>(), 0u);
    auto restored =
        testing::runCli({"--home", dir_ / "restored", "restore", dir_ / "backup", "--json"});
    ASSERT_EQ(restored.exitCode, 0) << describe(restored);
    EXPECT_EQ(documentOf(restored)["seq"], backup["seq"]);
    EXPECT_EQ(ok({"reindex"})["reindexed"], true);
    EXPECT_EQ(ok({"verify"})["ok"], true);
    EXPECT_TRUE(ok({"id"})["id"] == key_);
    EXPECT_EQ(ok({"trust", "add", kOtherKey, "--name", "Vågå"})["trusted"], kOtherKey);
    EXPECT_EQ(ok({"trust", "list"})["trusted"].size(), 2u);
    json vouch = ok({"vouch", kOtherKey, "--name", "Vågå kommune", "--kommunenummer", "3435"});
    EXPECT_EQ(vouch["vouched"], kOtherKey);
    EXPECT_EQ(vouch["kommunenummer"], "3435");
    EXPECT_EQ(ok({"trust", "remove", kOtherKey})["distrusted"], kOtherKey);
    EXPECT_EQ(ok({"peer", "add", "127.0.0.1:9", kOtherKey})["address"], "127.0.0.1:9");
    EXPECT_EQ(ok({"peer", "list"}).size(), 1u);
    EXPECT_EQ(ok({"peer", "remove", kOtherKey})["removed"], kOtherKey);
    EXPECT_TRUE(ok({"status"}).contains("authors"));
    EXPECT_EQ(ok({"export", "--format", "jsonl", "-o", dir_ / "all.jsonl"})["format"], "jsonl");
    EXPECT_EQ(ok({"export", "--format", "ocds", "-o", dir_ / "all.ocds.json"})["format"], "ocds");
    EXPECT_TRUE(ok({"export", "--format", "ocds"}).contains("releases"));
    json imported = ok({"import", "--format", "jsonl", dir_ / "all.jsonl"});
    EXPECT_EQ(imported["stored"], 0);
    EXPECT_TRUE(imported["cases"].empty());
    EXPECT_EQ(ok({"import", "--format", "ocds", dir_ / "all.ocds.json"})["versions"], 0);
    EXPECT_EQ(ok({"experience", "retract", "erfaring-flom"})["retracted"], key_ + "/erfaring-flom");
    EXPECT_EQ(ok({"need", "retract", need})["kind"], "need");
    EXPECT_EQ(ok({"case", "retract", "flomvarsling-sma-vassdrag"})["retracted"],
              key_ + "/flomvarsling-sma-vassdrag");
  }

  // Errors of every kind, each one JSON object.
  void everyKindOfError() {
    EXPECT_NE(
        error({"case", "show", "nosuchcase"}, 1)["error"].get<std::string>().find("nosuchcase"),
        std::string::npos);
    error({"case", "put", dir_ / "missing.json"}, 2);
    error({"trust", "add", "not-a-key"}, 2);
    error({"peer", "add", "nohost", kOtherKey}, 2);
    error({"peer", "remove", kOtherKey}, 1);
    error({"vouch", kOtherKey}, 2);  // --name is missing
    error({"search", "--limit"}, 2);
    error({"frobnicate"}, 2);
    error({"case"}, 2);
    error({"profile", "set"}, 2);
    error({"authoring", "resume"}, 2);
    error({"backup", kCaseFile}, 1);  // a file, not a folder: refused
  }

  TempDir dir_;
  std::string home_ = dir_ / "lom";
  std::string key_;
};

TEST_F(JsonOutputTest, EveryCommandWritesOneJsonDocument) { everyCommand(); }

TEST_F(JsonOutputTest, EveryErrorIsAJsonObjectWithTheExitStatus) {
  everyKindOfError();
  // Before the command line is even parsed, and without a node.
  auto r = testing::runCli({"--json", "--home", dir_ / "none", "id"});
  EXPECT_EQ(r.exitCode, 1) << describe(r);
  EXPECT_NE(documentOf(r).value("error", "").find("no node in"), std::string::npos) << r.out;
  // The text stays on stderr for whoever watches.
  EXPECT_NE(r.err.find("allmenning: no node in"), std::string::npos) << r.err;
}

TEST_F(JsonOutputTest, ThroughARunningNodeToo) {
  testing::RunningNode node(home_, dir_ / "run.log");
  ASSERT_TRUE(node.waitReady()) << node.log();
  everyCommand();
  everyKindOfError();
  // A running node's `run` refuses a second one, as JSON.
  error({"run"}, 1);
  EXPECT_EQ(node.stop(SIGTERM), 0) << node.log();
}

}  // namespace
}  // namespace allmenning
