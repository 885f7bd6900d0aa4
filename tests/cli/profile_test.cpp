// `allmenning profile set`: the body's name, orgnr and kommunenummer have one
// source, the signed profile in the node's log. A new profile shows in `id`,
// `status`, `trust list` and `search` on this node and on a peer after sync;
// the config holds no copy, and an old config's node.name changes nothing.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <thread>

#include "tests/cli/running_node.h"
#include "tests/test_util.h"

namespace allmenning::testing {
namespace {

using namespace std::chrono_literals;
using Json = nlohmann::json;

bool waitUntil(const std::function<bool()>& done, std::chrono::milliseconds limit = 20s) {
  auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (done()) return true;
    std::this_thread::sleep_for(100ms);  // polling interval, not an assertion
  }
  return done();
}

class ProfileTest : public ::testing::Test {
 protected:
  std::string init(const std::string& home, const std::string& name) {
    auto r = runCli({"--home", home, "init", "--name", name, "--listen", "127.0.0.1:0"});
    EXPECT_EQ(r.exitCode, 0) << describe(r);
    return runCli({"--home", home, "id"}).out.substr(0, 64);
  }
  Json json(const std::string& home, const std::vector<std::string>& args) {
    std::vector<std::string> argv{"--home", home, "--json"};
    argv.insert(argv.end(), args.begin(), args.end());
    auto r = runCli(argv);
    EXPECT_EQ(r.exitCode, 0) << describe(r);
    return r.exitCode == 0 ? Json::parse(r.out) : Json();
  }
  // The author name `home`'s search shows on the case `id` of `author`.
  std::string searchedName(const std::string& home, const std::string& author) {
    Json page = json(home, {"search", "flomvarsling"});  // the loop must not outlive it
    for (const auto& row : page["cases"]) {
      if (row["author"] == author) return row["authorName"].get<std::string>();
    }
    return "";
  }
  // The name `home`'s status shows for `author`.
  std::string statusName(const std::string& home, const std::string& author) {
    Json status = json(home, {"status"});  // the loop below must not outlive it
    for (const auto& a : status["authors"]) {
      if (a["key"] == author && a["authorName"].is_string()) return a["authorName"];
    }
    return "";
  }

  TempDir dir_;
  std::string homeA_ = dir_ / "a", homeB_ = dir_ / "b";
};

TEST_F(ProfileTest, ProfileSetChangesTheNameEverywhereIncludingAPeer) {
  std::string idA = init(homeA_, "Lom kommune");
  std::string idB = init(homeB_, "Skjak kommune");
  ASSERT_EQ(runCli({"--home", homeB_, "trust", "add", idA}).exitCode, 0);
  writeFile(dir_ / "case.json", caseJson("flom-a"));
  ASSERT_EQ(runCli({"--home", homeA_, "case", "put", dir_ / "case.json"}).exitCode, 0);
  RunningNode a(homeA_, dir_ / "a.log");
  ASSERT_TRUE(a.waitReady()) << a.log();
  RunningNode b(homeB_, dir_ / "b.log");
  ASSERT_TRUE(b.waitReady()) << b.log();
  ASSERT_EQ(runCli({"--home", homeB_, "peer", "add", "127.0.0.1:" + std::to_string(a.port()), idA})
                .exitCode,
            0);
  ASSERT_TRUE(waitUntil([&] { return searchedName(homeB_, idA) == "Lom kommune"; })) << b.log();

  const std::string name = "Lom kommune (Innlandet)";
  auto set = runCli({"--home", homeA_, "profile", "set", "--name", name, "--orgnr", "958935420"});
  ASSERT_EQ(set.exitCode, 0) << describe(set);
  EXPECT_EQ(set.out, "published as seq 3\n");
  EXPECT_EQ(json(homeA_, {"id"})["name"], name);
  EXPECT_EQ(json(homeA_, {"status"})["node"]["name"], name);
  Json trusted = json(homeA_, {"trust", "list"})["trusted"];
  ASSERT_EQ(trusted.size(), 1u);
  EXPECT_EQ(trusted[0]["authorName"], name);
  EXPECT_EQ(searchedName(homeA_, idA), name);
  Json shown = json(homeA_, {"profile", "show"});
  EXPECT_EQ(shown["name"], name);
  EXPECT_EQ(shown["orgnr"], "958935420");
  EXPECT_TRUE(shown["kommunenummer"].is_null());
  // The peer learns it as it learns any entry.
  EXPECT_TRUE(waitUntil([&] { return searchedName(homeB_, idA) == name; })) << b.log();
  EXPECT_EQ(statusName(homeB_, idA), name);

  // Unchanged: nothing written, like case put.
  auto again = runCli({"--home", homeA_, "profile", "set", "--name", name});
  ASSERT_EQ(again.exitCode, 0) << describe(again);
  EXPECT_EQ(again.out, "unchanged: identical to seq 3\n");
  EXPECT_EQ(json(homeA_, {"status"})["authors"][0]["seq"], 3);
  // Bad input names the field and writes nothing.
  auto bad = runCli({"--home", homeA_, "profile", "set", "--orgnr", "123456789"});
  EXPECT_EQ(bad.exitCode, 2) << describe(bad);
  EXPECT_NE(bad.err.find("orgnr: \"123456789\" is not 9 digits passing the MOD11 check"),
            std::string::npos)
      << bad.err;
  auto none = runCli({"--home", homeA_, "profile", "set"});
  EXPECT_EQ(none.exitCode, 2) << describe(none);
  EXPECT_NE(none.err.find("give --name, --orgnr or --kommunenummer"), std::string::npos)
      << none.err;
  EXPECT_EQ(b.stop(SIGTERM), 0) << b.log();
  EXPECT_EQ(a.stop(SIGTERM), 0) << a.log();
}

// The config holds no copy of the name: init writes none, and an old
// config's node.name is ignored, with a warning naming the key and the
// command to use, directly and in the running node's log.
TEST_F(ProfileTest, TheConfigsNameChangesNothingAndWarns) {
  init(homeA_, "Lom kommune");
  std::string config = readFile(homeA_ + "/allmenning.toml");
  EXPECT_EQ(config.find("name"), std::string::npos) << config;
  EXPECT_EQ(config.find("Lom"), std::string::npos) << config;
  writeFile(homeA_ + "/allmenning.toml", config + "name = \"Feil kommune\"\n");

  auto id = runCli({"--home", homeA_, "--json", "id"});
  ASSERT_EQ(id.exitCode, 0) << describe(id);
  EXPECT_EQ(Json::parse(id.out)["name"], "Lom kommune");
  const std::string warning = homeA_ +
                              "/allmenning.toml: node.name is ignored: it is published in this "
                              "node's signed profile; change it with `allmenning profile set "
                              "--name ...`";
  EXPECT_NE(id.err.find("allmenning: warning: " + warning), std::string::npos) << id.err;
  EXPECT_EQ(json(homeA_, {"status"})["node"]["name"], "Lom kommune");
  EXPECT_EQ(json(homeA_, {"trust", "list"})["trusted"][0]["authorName"], "Lom kommune");

  RunningNode a(homeA_, dir_ / "a.log");
  ASSERT_TRUE(a.waitReady()) << a.log();
  EXPECT_EQ(json(homeA_, {"id"})["name"], "Lom kommune");
  EXPECT_EQ(a.stop(SIGTERM), 0) << a.log();
  EXPECT_NE(a.log().find("WARN config " + warning), std::string::npos) << a.log();
}

}  // namespace
}  // namespace allmenning::testing
