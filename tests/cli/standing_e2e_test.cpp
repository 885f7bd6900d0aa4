// End-to-end tests of how an author is shown, with the real binary: three
// bodies, a hub that vouches for K under another name than K's own
// profile, and B, which trusts the hub. Every view (trust list, search,
// need match, case show, status), in text and JSON, must give the one
// standing node/standing.h computes, before and after B stops trusting the
// hub; and no text K wrote may forge a line on B's terminal.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "tests/cli/running_node.h"
#include "tests/test_util.h"

namespace allmenning {
namespace {

namespace fs = std::filesystem;
using nlohmann::ordered_json;
using testing::describe;
using testing::linesOf;
using testing::ProcessResult;
using testing::readFile;
using testing::TempDir;
using testing::writeFile;

const fs::path kExamples = fs::path(ALLMENNING_SOURCE_DIR) / "deploy/examples";

// What K's case says, with text meant to fool a terminal: a fake status
// line after CR LF, a lone CR, a zero-width space, and a line separator.
const std::string kForgedSummary =
    "Flomvarsling for små vassdrag.\r\nstatus           completed\rsummary          ok";
const std::string kTitle = "Flomvarsling\u200B for små vassdrag";
const std::string kNeedText = "Varsler for bekker\u2028og småelver.";

class StandingCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    hub_ = init("hub", "Sogn og Fjordane hub", "4640");
    k_ = init("k", "Bergen kommune", "4601");
    b_ = init("b", "Voss kommune", "4621");
    ordered_json c = ordered_json::parse(readFile(kExamples / "flomvarsling-sma-vassdrag.json"));
    c["title"] = kTitle;
    c["summary"] = kForgedSummary;
    c["need"] = kNeedText;
    ASSERT_EQ(cli("k", {"case", "put", file("k-case.json", c)}).exitCode, 0);
    ref_ = k_ + "/flomvarsling-sma-vassdrag";
    auto r = cli("hub", {"vouch", k_, "--name", "Stryn kommune", "--kommunenummer", "4651"});
    ASSERT_EQ(r.exitCode, 0) << describe(r);
    ASSERT_EQ(cli("b", {"trust", "add", hub_, "--name", "Sogn hub"}).exitCode, 0);
    for (const char* from : {"hub", "k"}) {
      writeFile(dir_ / (std::string(from) + ".jsonl"), exportAll(from));
      r = cli("b", {"import", "--format", "jsonl", dir_ / (std::string(from) + ".jsonl")});
      ASSERT_EQ(r.exitCode, 0) << describe(r);
    }
    ordered_json need =
        ordered_json::parse(readFile(kExamples / "needs/varsel-flom-sma-elver.json"));
    ASSERT_EQ(cli("b", {"need", "put", file("need.json", need)}).exitCode, 0);
    needId_ = need["id"];
  }

  std::string init(const std::string& name, const std::string& body, const std::string& k) {
    EXPECT_EQ(cli(name, {"init", "--name", body, "--kommunenummer", k}).exitCode, 0);
    auto r = cli(name, {"id"});
    EXPECT_EQ(r.exitCode, 0) << describe(r);
    return r.out.substr(0, 64);
  }

  ProcessResult cli(const std::string& home, std::vector<std::string> args) {
    args.insert(args.begin(), {"--home", dir_ / home});
    return testing::runCli(args);
  }

  // stdout of a command that must succeed.
  std::string out(const std::string& home, const std::vector<std::string>& args) {
    auto r = cli(home, args);
    EXPECT_EQ(r.exitCode, 0) << describe(r);
    return r.out;
  }
  ordered_json json(const std::string& home, std::vector<std::string> args) {
    args.push_back("--json");
    return ordered_json::parse(out(home, args));
  }

  std::string file(const std::string& name, const ordered_json& doc) {
    writeFile(dir_ / name, doc.dump(2));
    return dir_ / name;
  }
  std::string exportAll(const std::string& home) {
    return out(home, {"export", "--format", "jsonl"});
  }

  // The row about K in `rows`, or null.
  ordered_json rowOf(const ordered_json& rows, const std::string& keyField) {
    for (const auto& r : rows) {
      if (r[keyField] == k_) return r;
    }
    return nullptr;
  }

  TempDir dir_;
  std::string hub_, k_, b_, ref_, needId_;
};

// Every JSON view carries the same standing fields for K.
void expectVouchedJson(const ordered_json& row, const std::string& hub) {
  ASSERT_TRUE(row.is_object());
  EXPECT_EQ(row["trust"], "vouched");
  EXPECT_EQ(row["authorName"], "Stryn kommune");
  EXPECT_EQ(row["nameSource"], "vouch");
  EXPECT_EQ(row["profileName"], "Bergen kommune");
  EXPECT_EQ(row["nameDiffers"], true);
  ASSERT_EQ(row["vouchedBy"].size(), 1u);
  EXPECT_EQ(row["vouchedBy"][0]["key"], hub);
  EXPECT_EQ(row["vouchedBy"][0]["name"], "Sogn hub");
  EXPECT_EQ(row["vouchedBy"][0]["as"], "Stryn kommune");
  EXPECT_EQ(row["vouchedBy"][0]["kommunenummer"], "4651");
}

TEST_F(StandingCliTest, TheVouchedNameIsShownAndADifferentProfileNameIsFlagged) {
  const std::string who =
      "Stryn kommune (vouched by Sogn hub) [its profile says \"Bergen kommune\"]";
  std::string list = out("b", {"trust", "list"});
  EXPECT_NE(list.find(k_ + "  vouched  Stryn kommune, by Sogn hub [its profile says \"Bergen "
                           "kommune\"]"),
            std::string::npos)
      << list;
  EXPECT_NE(out("b", {"search"}).find(who), std::string::npos);
  EXPECT_NE(out("b", {"need", "match", needId_}).find(who), std::string::npos);
  std::string shown = out("b", {"case", "show", ref_});
  EXPECT_NE(shown.find("author           " + k_ +
                       " (Stryn kommune, as vouched [its profile says \"Bergen kommune\"])"),
            std::string::npos)
      << shown;
  EXPECT_NE(shown.find("trust            vouched for by Sogn hub as \"Stryn kommune\", "
                       "kommunenummer 4651\n"),
            std::string::npos)
      << shown;
  EXPECT_NE(out("b", {"status"}).find("vouched     Stryn kommune, by Sogn hub [its profile says"),
            std::string::npos);

  expectVouchedJson(rowOf(json("b", {"trust", "list"})["vouched"], "key"), hub_);
  expectVouchedJson(rowOf(json("b", {"search"})["cases"], "author"), hub_);
  expectVouchedJson(rowOf(json("b", {"need", "match", needId_}), "author"), hub_);
  expectVouchedJson(json("b", {"case", "show", ref_}), hub_);
  expectVouchedJson(rowOf(json("b", {"status"})["authors"], "key"), hub_);
}

TEST_F(StandingCliTest, AfterTrustRemoveEveryViewSaysNotTrusted) {
  ASSERT_EQ(cli("b", {"trust", "remove", hub_}).exitCode, 0);
  // K's standing: no trusted body vouches for it any more, so its own name
  // is all there is, and nothing says "vouched".
  auto expectNotTrusted = [](const ordered_json& row) {
    ASSERT_TRUE(row.is_object());
    EXPECT_EQ(row["trust"], "not trusted");
    EXPECT_EQ(row["authorName"], "Bergen kommune");
    EXPECT_EQ(row["nameSource"], "profile");
    EXPECT_EQ(row["nameDiffers"], false);
    EXPECT_TRUE(row["vouchedBy"].empty());
  };
  expectNotTrusted(rowOf(json("b", {"search"})["cases"], "author"));
  expectNotTrusted(rowOf(json("b", {"need", "match", needId_}), "author"));
  expectNotTrusted(json("b", {"case", "show", ref_}));
  ordered_json status = json("b", {"status"});
  expectNotTrusted(rowOf(status["authors"], "key"));
  EXPECT_TRUE(json("b", {"trust", "list"})["vouched"].empty());
  for (const auto& a : status["authors"]) {
    if (a["key"] == hub_) {
      EXPECT_EQ(a["trust"], "distrusted");
    }
  }

  for (const auto& args : std::vector<std::vector<std::string>>{{"search"},
                                                                {"need", "match", needId_},
                                                                {"case", "show", ref_},
                                                                {"status"},
                                                                {"trust", "list"}}) {
    std::string text = out("b", args);
    SCOPED_TRACE(args[0]);
    EXPECT_EQ(text.find("vouched"), std::string::npos) << text;
    EXPECT_EQ(text.find("Stryn"), std::string::npos) << text;
  }
  EXPECT_NE(out("b", {"search"}).find("Bergen kommune (not trusted)"), std::string::npos);
  EXPECT_NE(out("b", {"case", "show", ref_})
                .find("trust            not trusted: its new entries are refused\n"),
            std::string::npos);
  // The hub itself is remembered as distrusted, and its trust name is gone.
  EXPECT_NE(out("b", {"status"}).find("distrusted  Sogn og Fjordane hub"), std::string::npos);
}

TEST_F(StandingCliTest, PeerTextCannotForgeTerminalLines) {
  std::string shown = out("b", {"case", "show", ref_});
  int statusLines = 0, summaryLines = 0;
  for (const std::string& line : linesOf(shown)) {
    EXPECT_EQ(line.find('\r'), std::string::npos) << line;
    statusLines += line.starts_with("status ");
    summaryLines += line.starts_with("summary ");
  }
  EXPECT_EQ(statusLines, 1) << shown;
  EXPECT_EQ(summaryLines, 1) << shown;
  const std::string indent(17, ' ');
  EXPECT_NE(shown.find("summary          Flomvarsling for små vassdrag.\n" + indent +
                       "status           completed\\u000Dsummary          ok\n"),
            std::string::npos)
      << shown;
  EXPECT_NE(shown.find("title            Flomvarsling\\u200B for små vassdrag\n"),
            std::string::npos);
  EXPECT_NE(shown.find("Varsler for bekker\\u2028og småelver."), std::string::npos);
  for (const char* raw : {"\u200B", "\u2028"}) {
    EXPECT_EQ(shown.find(raw), std::string::npos);
    EXPECT_EQ(out("b", {"search"}).find(raw), std::string::npos);
  }
  EXPECT_NE(out("b", {"search"}).find("Flomvarsling\\u200B for små vassdrag"), std::string::npos);
  // --json gives the exact text.
  ordered_json j = json("b", {"case", "show", ref_});
  EXPECT_EQ(j["record"]["title"], kTitle);
  EXPECT_EQ(j["record"]["summary"], kForgedSummary);
  EXPECT_EQ(j["record"]["need"], kNeedText);
}

TEST_F(StandingCliTest, NamesAndTitlesFollowOneTextRuleAtInput) {
  ordered_json c = ordered_json::parse(readFile(kExamples / "flomvarsling-sma-vassdrag.json"));
  c["title"] = "Flom\u202Egnirvsal";
  auto r = cli("k", {"case", "put", file("bidi.json", c)});
  EXPECT_EQ(r.exitCode, 2) << describe(r);
  EXPECT_NE(r.err.find("title: must not contain bidi control character U+202E"), std::string::npos)
      << r.err;
  c["title"] = "Flom\u2028varsling";
  r = cli("k", {"case", "put", file("ls.json", c)});
  EXPECT_EQ(r.exitCode, 2) << describe(r);
  EXPECT_NE(r.err.find("title: must not contain line separator U+2028"), std::string::npos);

  const std::vector<std::pair<std::string, std::string>> names = {
      {"Bergen\u202E kommune", "bidi control character U+202E"},
      {"Bergen\u2066 kommune", "bidi control character U+2066"},
      {"Bergen\u009B2J kommune", "control character U+009B"},
      {"Bergen\u2029 kommune", "paragraph separator U+2029"},
      {"Bergen\r\nstatus  completed", "control character U+000D"}};
  for (const auto& [name, rule] : names) {
    SCOPED_TRACE(rule);
    for (const auto& args : std::vector<std::vector<std::string>>{
             {"trust", "add", b_, "--name", name},
             {"vouch", b_, "--name", name, "--kommunenummer", "4621"},
             {"init", "--name", name}}) {
      r = cli(args[0] == "init" ? "fresh" : "hub", args);
      EXPECT_EQ(r.exitCode, 2) << args[0] << ": " << describe(r);
      EXPECT_NE(r.err.find("name: must not contain " + rule), std::string::npos)
          << args[0] << ": " << r.err;
    }
  }
}

// B named the hub "Sogn hub"; its profile says "Sogn og Fjordane hub".
TEST_F(StandingCliTest, TrustAddWithoutNameKeepsTheName) {
  ASSERT_EQ(cli("b", {"trust", "add", hub_}).exitCode, 0);
  EXPECT_NE(out("b", {"trust", "list"})
                .find(hub_ + "  trusted  Sogn hub [its profile says \"Sogn og Fjordane hub\"]\n"),
            std::string::npos);
  ASSERT_EQ(cli("b", {"trust", "add", b_}).exitCode, 0);
  ordered_json list = json("b", {"trust", "list"});
  for (const auto& t : list["trusted"]) {
    if (t["key"] == hub_) {
      EXPECT_EQ(t["authorName"], "Sogn hub");
    } else if (t["key"] == b_) {
      EXPECT_EQ(t["authorName"], "Voss kommune");
    }
  }
}

TEST_F(StandingCliTest, VouchRepeatsAreUnchangedConflictsNeedUpdate) {
  const std::string before = exportAll("hub");
  auto r = cli("hub", {"vouch", k_, "--name", "Stryn kommune", "--kommunenummer", "4651"});
  ASSERT_EQ(r.exitCode, 0) << describe(r);
  EXPECT_NE(r.out.find("unchanged"), std::string::npos) << r.out;
  EXPECT_EQ(exportAll("hub"), before) << "an identical vouch wrote an entry";

  r = cli("hub", {"vouch", k_, "--name", "Bergen kommune", "--kommunenummer", "4601"});
  EXPECT_EQ(r.exitCode, 1) << describe(r);
  EXPECT_NE(r.err.find("already vouched for at seq 2 as \"Stryn kommune\", kommunenummer 4651; "
                       "pass --update"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(exportAll("hub"), before);
  r = cli("hub", {"vouch", k_, "--name", "Bergen kommune", "--kommunenummer", "4601", "--update"});
  ASSERT_EQ(r.exitCode, 0) << describe(r);
  EXPECT_NE(r.out.find("as seq 3"), std::string::npos) << r.out;

  r = cli("hub", {"vouch", std::string(64, '0'), "--name", "Ingen", "--kommunenummer", "0000"});
  EXPECT_EQ(r.exitCode, 2) << describe(r);
  EXPECT_NE(r.err.find("all-zero key"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace allmenning
