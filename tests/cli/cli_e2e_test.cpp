// End-to-end tests of the real `allmenning` binary: every sample case goes in
// through `case put`, and each command's output is checked against what the
// test computes itself from the JSON files it put.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>

#include "tests/cli/process.h"
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
using testing::words;
using testing::writeFile;

const std::string kNodeName = "Oslo kommune";

// Runs the binary with `args` as they are.
ProcessResult run(const std::vector<std::string>& args, const std::string& stdinPath = "") {
  std::vector<std::string> argv{ALLMENNING_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  return testing::runProcess(argv, stdinPath);
}

// Runs the binary on the node in `home`.
ProcessResult cli(const std::string& home, std::vector<std::string> args,
                  const std::string& stdinPath = "") {
  args.insert(args.begin(), {"--home", home});
  return run(args, stdinPath);
}

// The .json files under `dir` and its subfolders, sorted.
std::vector<fs::path> jsonFilesUnder(const fs::path& dir) {
  std::vector<fs::path> out;
  for (const auto& f : fs::recursive_directory_iterator(dir)) {
    if (f.is_regular_file() && f.path().extension() == ".json") out.push_back(f.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

// Every sample case in the shared data: data/cases/<publisher>/<case>.json.
std::vector<fs::path> sampleCaseFiles() {
  return jsonFilesUnder(fs::path(ALLMENNING_SHARED_DIR) / "data/cases");
}

// The project's example cases, without the update-*.json variants and the
// needs and experiences in the subfolders.
std::vector<fs::path> exampleCaseFiles() {
  const fs::path dir = fs::path(ALLMENNING_SOURCE_DIR) / "deploy/examples";
  auto files = jsonFilesUnder(dir);
  std::erase_if(files, [&](const fs::path& f) {
    return f.parent_path() != dir || f.filename().string().starts_with("update-");
  });
  return files;
}

// A shown record without the documented defaults `written` left out, which
// the node may or may not fill in.
json withoutDefaults(json shown, const json& written) {
  if (!written.contains("language") && shown.value("language", "") == "nb") {
    shown.erase("language");
  }
  if (written.contains("value") && !written["value"].contains("currency") &&
      shown["value"].value("currency", "") == "NOK") {
    shown["value"].erase("currency");
  }
  return shown;
}

// One search: the CLI options, and the same rule applied by the test itself.
struct Filter {
  std::string cpv, procedure, sector, status, kommune;

  // A copy with one more condition.
  Filter with(std::string Filter::*field, const std::string& value) const {
    Filter f = *this;
    f.*field = value;
    return f;
  }

  std::vector<std::string> args() const {
    std::vector<std::string> a;
    auto add = [&](const char* opt, const std::string& v) {
      if (!v.empty()) a.insert(a.end(), {opt, v});
    };
    add("--cpv", cpv);
    add("--procedure", procedure);
    add("--sector", sector);
    add("--status", status);
    add("--kommune", kommune);
    return a;
  }

  bool matches(const json& r) const {
    auto is = [&](const char* field, const std::string& want) {
      return want.empty() || r.value(field, std::string()) == want;
    };
    auto any = [&](const char* list, auto pred) {
      const json items = r.value(list, json::array());
      return std::any_of(items.begin(), items.end(), pred);
    };
    bool cpvOk = cpv.empty() ||
                 any("cpv", [&](const json& c) { return c.get<std::string>().starts_with(cpv); });
    bool kommuneOk = kommune.empty() || any("buyers", [&](const json& b) {
                       return b.value("kommunenummer", std::string()) == kommune;
                     });
    return cpvOk && kommuneOk && is("procedure", procedure) && is("sector", sector) &&
           is("status", status);
  }
};

Filter by(std::string Filter::*field, const std::string& value) {
  return Filter{}.with(field, value);
}

// What the node should hold, kept by the test as it puts files.
struct Model {
  std::map<std::string, json> records;                       // id -> current record
  std::map<std::string, std::vector<std::string>> statuses;  // id -> status per version
  std::map<std::string, uint64_t> seq;                       // id -> seq of its current version
  std::vector<std::string> order;                            // least recently updated first
  std::set<std::string> retracted;
  uint64_t head = 1;  // seq 1 is the node's profile

  // Returns false when `r` equals the current version, so nothing is published.
  bool put(const json& r) {
    std::string id = r.at("id");
    if (records.count(id) != 0 && records[id] == r) return false;
    records[id] = r;
    statuses[id].push_back(r.at("status"));
    seq[id] = ++head;
    std::erase(order, id);
    order.push_back(id);
    return true;
  }
  void retract(const std::string& id) {
    retracted.insert(id);
    ++head;
  }
  // Cases not retracted that match `f`, most recently updated first.
  std::vector<std::string> visible(const Filter& f = {}) const {
    std::vector<std::string> out;
    for (auto it = order.rbegin(); it != order.rend(); ++it) {
      if (retracted.count(*it) == 0 && f.matches(records.at(*it))) out.push_back(*it);
    }
    return out;
  }
  // An id put exactly once, other than `other`.
  std::string singleVersion(const std::string& other = "") const {
    for (const auto& id : order) {
      if (statuses.at(id).size() == 1 && id != other) return id;
    }
    return "";
  }
};

std::vector<std::string> sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

// A node created with `init`, holding every sample and example case.
class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto r = cli(home_,
                 {"init", "--name", kNodeName, "--orgnr", "958935420", "--kommunenummer", "0301"});
    ASSERT_EQ(r.exitCode, 0) << describe(r);
    r = cli(home_, {"id"});
    ASSERT_EQ(r.exitCode, 0) << describe(r);
    ASSERT_TRUE(std::regex_match(r.out, std::regex("[0-9a-f]{64}\n"))) << r.out;
    author_ = r.out.substr(0, 64);
    auto samples = sampleCaseFiles();
    ASSERT_GE(samples.size(), 7u);
    for (const auto& f : samples) ASSERT_NO_FATAL_FAILURE(put(f));
    for (const auto& f : exampleCaseFiles()) ASSERT_NO_FATAL_FAILURE(put(f));
  }

  // Puts `file` and checks the printed ref and the seq it was published as.
  void put(const fs::path& file) {
    SCOPED_TRACE(file.string());
    json record = json::parse(readFile(file));
    bool published = model_.put(record);
    auto r = cli(home_, {"case", "put", file.string()});
    ASSERT_EQ(r.exitCode, 0) << describe(r);
    ASSERT_TRUE(std::regex_match(r.out, std::regex("[0-9a-f]{64}/[a-z0-9][a-z0-9-]*\n")));
    EXPECT_EQ(r.out, ref(record["id"]) + "\n");
    std::string seq = std::to_string(model_.seq[record["id"]]);
    EXPECT_NE(r.err.find(published ? "published as seq " + seq : "unchanged"), std::string::npos)
        << r.err;
  }

  // Publishes a second version of one case with another status, and retracts
  // another case; both are picked from what was put.
  void updateAndRetract() {
    updated_ = model_.singleVersion();
    retracted_ = model_.singleVersion(updated_);
    ASSERT_FALSE(updated_.empty() || retracted_.empty());
    json record = model_.records[updated_];
    record["status"] = record["status"] == "completed" ? "cancelled" : "completed";
    writeFile(dir_ / "update.json", record.dump(2));
    ASSERT_NO_FATAL_FAILURE(put(dir_ / "update.json"));
    auto r = cli(home_, {"case", "retract", retracted_});
    ASSERT_EQ(r.exitCode, 0) << describe(r);
    EXPECT_EQ(r.out, "retracted " + ref(retracted_) + "\n");
    model_.retract(retracted_);
  }

  std::string ref(const std::string& id) const { return author_ + "/" + id; }

  // The stdout of `case show <author>/<id> --json [--history]`.
  std::string showText(const std::string& home, const std::string& id, bool history = false) {
    std::vector<std::string> args{"case", "show", ref(id), "--json"};
    if (history) args.push_back("--history");
    auto r = cli(home, args);
    EXPECT_EQ(r.exitCode, 0) << describe(r);
    return r.out;
  }
  json show(const std::string& id, bool history = false) {
    std::string text = showText(home_, id, history);
    return text.empty() ? json() : json::parse(text);
  }

  // The case ids of `search --json` rows, in order; every row must be ours.
  std::vector<std::string> search(const std::vector<std::string>& args) {
    std::vector<std::string> argv{"search", "--json"};
    argv.insert(argv.end(), args.begin(), args.end());
    auto r = cli(home_, argv);
    EXPECT_EQ(r.exitCode, 0) << describe(r);
    std::vector<std::string> ids;
    json page = r.exitCode == 0 ? json::parse(r.out) : json{{"cases", json::array()}};
    for (const auto& row : page["cases"]) {
      std::string c = row.at("case");
      EXPECT_EQ(c.substr(0, 65), author_ + "/");
      ids.push_back(c.substr(std::min<size_t>(65, c.size())));
    }
    return ids;
  }

  // Checks that `search` with `f` (plus `extra` options) finds exactly the
  // cases the test's own rule selects.
  void expectSearch(const Filter& f, const std::vector<std::string>& extra = {}) {
    auto args = f.args();
    args.insert(args.end(), extra.begin(), extra.end());
    SCOPED_TRACE(::testing::PrintToString(args));
    auto got = search(args);
    EXPECT_EQ(std::set<std::string>(got.begin(), got.end()).size(), got.size()) << "duplicates";
    EXPECT_EQ(sorted(got), sorted(model_.visible(f)));
  }

  std::string exportAll(const std::string& home) {
    auto r = cli(home, {"export", "--format", "jsonl"});
    EXPECT_EQ(r.exitCode, 0) << describe(r);
    return r.out;
  }

  TempDir dir_;
  std::string home_ = dir_ / "a";
  std::string author_;
  Model model_;
  std::string updated_, retracted_;
};

TEST_F(CliTest, ShowPrintsEveryRecordAsWritten) {
  for (const auto& [id, record] : model_.records) {
    SCOPED_TRACE(id);
    std::string text = showText(home_, id);
    json c = json::parse(text);
    EXPECT_EQ(c["case"], ref(id));
    EXPECT_EQ(c["author"], author_);
    EXPECT_EQ(c["authorName"], kNodeName);
    EXPECT_EQ(c["retracted"], false);
    EXPECT_EQ(c["seq"], model_.seq[id]);
    EXPECT_EQ(c["signature"], "verified");
    EXPECT_EQ(c["chain"], "verified");
    EXPECT_EQ(withoutDefaults(c["record"], record), record);
    // By <id>, with the global --json before the subcommand: the same output.
    EXPECT_EQ(cli(home_, {"--json", "case", "show", id}).out, text);
  }
  // Putting a current version again from stdin publishes nothing.
  auto file = exampleCaseFiles().back();  // the last put: a current version
  auto r = cli(home_, {"case", "put", "-"}, file.string());
  EXPECT_EQ(r.exitCode, 0) << describe(r);
  EXPECT_EQ(r.out, ref(json::parse(readFile(file))["id"]) + "\n");
  EXPECT_NE(r.err.find("unchanged"), std::string::npos) << r.err;
}

TEST_F(CliTest, UpdateAddsVersionToHistory) {
  ASSERT_NO_FATAL_FAILURE(updateAndRetract());
  json c = show(updated_, /*history=*/true);
  const auto& statuses = model_.statuses[updated_];
  ASSERT_EQ(statuses.size(), 2u);
  ASSERT_EQ(c["history"].size(), 2u) << c.dump(2);
  EXPECT_EQ(c["history"][0]["status"], statuses[0]);
  EXPECT_EQ(c["history"][1]["status"], statuses[1]);
  EXPECT_EQ(c["history"][1]["kind"], "case");
  EXPECT_LT(c["history"][0]["seq"].get<uint64_t>(), c["history"][1]["seq"].get<uint64_t>());
  EXPECT_EQ(c["history"][1]["seq"], c["seq"]);
  EXPECT_EQ(c["seq"], model_.seq[updated_]);
  EXPECT_EQ(c["record"]["status"], statuses[1]);

  // The text form, with --home after the subcommand.
  auto r = run({"case", "show", updated_, "--home", home_});
  ASSERT_EQ(r.exitCode, 0) << describe(r);
  for (const std::string& s :
       {std::string("signature        verified"), std::string("chain            verified"),
        kNodeName, "status           " + statuses[1], ref(updated_)}) {
    EXPECT_NE(r.out.find(s), std::string::npos) << "missing \"" << s << "\" in\n" << r.out;
  }
}

TEST_F(CliTest, RetractHidesFromSearchButKeepsTheCase) {
  std::string id = model_.singleVersion();
  auto before = search({});
  EXPECT_NE(std::find(before.begin(), before.end(), id), before.end());
  auto r = cli(home_, {"case", "retract", ref(id)});
  ASSERT_EQ(r.exitCode, 0) << describe(r);
  model_.retract(id);
  EXPECT_EQ(sorted(search({})), sorted(model_.visible()));
  json c = show(id, /*history=*/true);
  EXPECT_EQ(c["retracted"], true);
  EXPECT_EQ(c["seq"], model_.seq[id]) << "the retracted version is still shown";
  EXPECT_EQ(withoutDefaults(c["record"], model_.records[id]), model_.records[id]);
  ASSERT_EQ(c["history"].size(), 2u) << c.dump(2);
  EXPECT_EQ(c["history"][1]["kind"], "retract");
  EXPECT_EQ(c["history"][1]["seq"], model_.head);
  r = cli(home_, {"case", "show", id});
  EXPECT_NE(r.out.find("retracted"), std::string::npos) << r.out;
  EXPECT_EQ(cli(home_, {"case", "retract", id}).exitCode, 1);
  EXPECT_EQ(cli(home_, {"case", "retract", "no-such-case"}).exitCode, 1);
  EXPECT_EQ(cli(home_, {"verify"}).exitCode, 0);
}

TEST_F(CliTest, SearchRowsAreTheCurrentVersions) {
  ASSERT_NO_FATAL_FAILURE(updateAndRetract());
  auto r = cli(home_, {"search", "--json"});
  ASSERT_EQ(r.exitCode, 0) << describe(r);
  json rows = json::parse(r.out)["cases"];
  auto want = model_.visible();
  ASSERT_EQ(rows.size(), want.size()) << r.out;
  for (size_t i = 0; i < want.size(); ++i) {
    const json& record = model_.records[want[i]];
    EXPECT_EQ(rows[i]["case"], ref(want[i])) << "most recently updated first";
    EXPECT_EQ(rows[i]["title"], record["title"]);
    EXPECT_EQ(rows[i]["procedure"], record["procedure"]);
    EXPECT_EQ(rows[i]["status"], record["status"]);
    EXPECT_EQ(rows[i]["author"], author_);
    EXPECT_EQ(rows[i]["authorName"], kNodeName);
    EXPECT_TRUE(std::regex_match(rows[i]["updated"].get<std::string>(),
                                 std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)")));
  }
  for (size_t n : {size_t{1}, size_t{3}, want.size() + 5}) {
    auto top = search({"--limit", std::to_string(n)});
    EXPECT_EQ(top, std::vector<std::string>(want.begin(), want.begin() + std::min(n, want.size())));
  }
}

// Every value of `field` among the records, plus one valid value none has.
std::set<std::string> valuesOf(const Model& m, const char* field, const std::string& absent) {
  std::set<std::string> out{absent};
  for (const auto& [id, r] : m.records) out.insert(r.value(field, std::string()));
  out.erase("");
  return out;
}

TEST_F(CliTest, SearchFiltersMatchTheRecords) {
  ASSERT_NO_FATAL_FAILURE(updateAndRetract());
  for (const std::string cpv : {"7", "72", "72000000-5", "9070", "33100000-1", "99"}) {
    expectSearch(by(&Filter::cpv, cpv));
  }
  EXPECT_FALSE(model_.visible(by(&Filter::cpv, "72")).empty());
  EXPECT_NE(model_.visible(by(&Filter::cpv, "7")), model_.visible(by(&Filter::cpv, "72")));
  for (const auto& v : valuesOf(model_, "procedure", "design-contest")) {
    expectSearch(by(&Filter::procedure, v));
  }
  for (const auto& v : valuesOf(model_, "sector", "water-waste")) {
    expectSearch(by(&Filter::sector, v));
  }
  for (const auto& v : valuesOf(model_, "status", "failed")) expectSearch(by(&Filter::status, v));
  std::set<std::string> kommuner{"5001"};
  for (const auto& [id, r] : model_.records) {
    for (const auto& b : r.value("buyers", json::array())) {
      if (b.contains("kommunenummer")) kommuner.insert(b["kommunenummer"].get<std::string>());
    }
  }
  EXPECT_GE(kommuner.size(), 3u);
  for (const auto& k : kommuner) expectSearch(by(&Filter::kommune, k));

  const json& u = model_.records[updated_];
  expectSearch(by(&Filter::sector, u["sector"].get<std::string>())
                   .with(&Filter::status, u["status"].get<std::string>()));
  expectSearch(by(&Filter::cpv, "9070").with(&Filter::kommune, "3433"));
  expectSearch(by(&Filter::procedure, u["procedure"].get<std::string>()), {"--author", author_});
  expectSearch({}, {"--author", author_});
  EXPECT_TRUE(search({"--author", std::string(64, 'e')}).empty());

  for (const char* bad : {"--sector nonsense", "--kommune 12", "--author xyz", "--procedure bid",
                          "--status done", "--cpv abc", "--limit 0"}) {
    EXPECT_EQ(cli(home_, words(std::string("search ") + bad)).exitCode, 2) << bad;
  }
}

// Whether a searchable field of `r` has a word containing `part`: the test's
// own rule for what a stemmed, compound-aware search for it must find.
bool hasWordWith(const json& r, const std::string& part) {
  std::string text;
  for (const char* f : {"title", "summary", "need", "solution", "results", "lessons_learned"}) {
    text += " " + r.value(f, std::string());
  }
  for (const auto& t : r.value("tags", json::array())) text += " " + t.get<std::string>();
  for (const char* list : {"buyers", "suppliers"}) {
    for (const auto& p : r.value(list, json::array())) text += " " + p.value("name", std::string());
  }
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text.find(part) != std::string::npos;
}

TEST_F(CliTest, FreeTextFindsInflectionsAndCompoundParts) {
  ASSERT_NO_FATAL_FAILURE(updateAndRetract());
  // query word -> the part every matching text has: another inflection, or
  // the head of a compound ("varsling" in "snøskredvarsling").
  const std::pair<const char*, const char*> queries[] = {
      {"tunnelen", "tunnel"}, {"varsling", "varsling"}, {"skolene", "skole"}};
  for (const auto& [query, part] : queries) {
    for (const Filter& f : {Filter{}, Filter{}.with(&Filter::sector, "emergency"),
                            Filter{}.with(&Filter::status, "completed")}) {
      std::vector<std::string> want;
      for (const auto& id : model_.visible(f)) {
        if (hasWordWith(model_.records.at(id), part)) want.push_back(id);
      }
      if (f.args().empty()) {
        EXPECT_GE(want.size(), 2u) << query;
      }
      auto args = f.args();
      args.insert(args.begin(), query);
      SCOPED_TRACE(::testing::PrintToString(args));
      EXPECT_EQ(sorted(search(args)), sorted(want));
    }
  }
  auto text = cli(home_, {"search", "varsling"});
  EXPECT_NE(text.out.find("varsling]"), std::string::npos) << text.out;
}

// need match over the binary: the example need about floods in small rivers
// ranks the flood cases first, from this node and from another author, and
// says why.
TEST_F(CliTest, NeedMatchRanksTheCasesThatAnswerANeed) {
  std::string need =
      std::string(ALLMENNING_SOURCE_DIR) + "/deploy/examples/needs/varsel-flom-sma-elver.json";
  auto r = cli(home_, {"need", "put", need});
  ASSERT_EQ(r.exitCode, 0) << describe(r);
  r = cli(home_, {"need", "match", "varsel-flom-sma-elver", "--limit", "3", "--json"});
  ASSERT_EQ(r.exitCode, 0) << describe(r);
  json rows = json::parse(r.out);
  ASSERT_EQ(rows.size(), 3u);
  for (const auto& row : rows) {
    std::string id = row["case"].get<std::string>().substr(65);
    EXPECT_NE(id.find("flomvarsling"), std::string::npos) << row.dump();
    EXPECT_EQ(row["why"]["sector"], "emergency");
    EXPECT_FALSE(row["why"]["words"].empty());
  }
  EXPECT_GE(rows[0]["score"].get<double>(), rows[2]["score"].get<double>());
  auto text = cli(home_, {"need", "match", "varsel-flom-sma-elver"});
  EXPECT_NE(text.out.find("why: words: "), std::string::npos) << text.out;
  EXPECT_EQ(cli(home_, {"need", "match", "ingen-slik"}).exitCode, 1);
}

TEST_F(CliTest, ReindexAndAMissingIndexGiveTheSameAnswers) {
  ASSERT_NO_FATAL_FAILURE(updateAndRetract());
  auto answers = [&] {
    std::string out;
    for (const auto& q : {std::vector<std::string>{"search", "--json", "flom"},
                          {"search", "--json", "--year", "2021"},
                          {"search", "tunnel", "--sector", "transport"}}) {
      auto r = cli(home_, q);
      EXPECT_EQ(r.exitCode, 0) << describe(r);
      out += r.out;
    }
    return out;
  };
  std::string before = answers();
  auto r = cli(home_, {"reindex"});
  EXPECT_EQ(r.exitCode, 0) << describe(r);
  EXPECT_NE(
      r.err.find("search index: built: " + std::to_string(model_.visible().size()) + " cases"),
      std::string::npos)
      << r.err;
  EXPECT_EQ(answers(), before);
  fs::remove_all(home_ + "/search");
  r = cli(home_, {"search", "--json", "flom"});
  EXPECT_NE(r.err.find("search index: building from"), std::string::npos) << r.err;
  EXPECT_EQ(answers(), before);
}

TEST_F(CliTest, ExportImportReproducesEveryCase) {
  ASSERT_NO_FATAL_FAILURE(updateAndRetract());
  std::string file = dir_ / "export.jsonl";
  auto r = cli(home_, {"export", "--format", "jsonl", "-o", file});
  ASSERT_EQ(r.exitCode, 0) << describe(r);
  std::string exported = readFile(file);
  EXPECT_EQ(exported, exportAll(home_));
  std::vector<std::string> caseRefs;
  for (const auto& line : linesOf(exported)) {
    json e = json::parse(line);
    if (e["kind"] != "case") continue;
    caseRefs.push_back(e["author"].get<std::string>() + "/" + e["record"]["id"].get<std::string>());
  }

  std::string homeB = dir_ / "b";
  r = run({"init", "--name", "Bergen kommune", "--home", homeB});
  ASSERT_EQ(r.exitCode, 0) << describe(r);
  // B stores nothing of an author it does not trust, and says how to fix it.
  std::string keyA = cli(home_, {"id"}).out.substr(0, 64);
  r = cli(homeB, {"import", "--format", "jsonl", file});
  EXPECT_EQ(r.exitCode, 2) << describe(r);
  EXPECT_NE(r.err.find("is not trusted by this node (allmenning trust add " + keyA + ")"),
            std::string::npos)
      << r.err;
  ASSERT_EQ(cli(homeB, {"trust", "add", keyA, "--name", "Lom"}).exitCode, 0);
  r = cli(homeB, {"import", "--format", "jsonl", file});
  ASSERT_EQ(r.exitCode, 0) << describe(r);
  EXPECT_EQ(linesOf(r.out), caseRefs) << "each stored case is printed, in order";

  // Both nodes print the same signed facts; only why each holds the author
  // (its own key at A, trusted at B) is local.
  auto withTrust = [](const std::string& text, const char* trust) {
    json j = json::parse(text);
    auto strip = [trust](json& row) {
      EXPECT_EQ(row["trust"], trust);
      row.erase("trust");
    };
    if (j.contains("cases")) {  // a search page
      for (json& row : j["cases"]) strip(row);
    } else {
      strip(j);
    }
    return j;
  };
  for (const auto& [id, record] : model_.records) {
    for (bool history : {false, true}) {
      SCOPED_TRACE(id + (history ? " --history" : ""));
      EXPECT_EQ(withTrust(showText(home_, id, history), "self"),
                withTrust(showText(homeB, id, history), "trusted"));
    }
  }
  for (const auto& args :
       {std::vector<std::string>{"search", "--json"}, {"search", "--json", "--cpv", "72"}}) {
    EXPECT_EQ(withTrust(cli(home_, args).out, "self"), withTrust(cli(homeB, args).out, "trusted"));
  }
  std::string exportB = exportAll(homeB);
  for (const auto& line : linesOf(exported)) {
    EXPECT_NE(exportB.find(line + "\n"), std::string::npos) << line;
  }

  r = cli(homeB, {"import", "--format", "jsonl", file});
  EXPECT_EQ(r.exitCode, 0) << describe(r);
  EXPECT_EQ(r.out, "") << "nothing new is stored";
  EXPECT_EQ(exportAll(homeB), exportB);
  EXPECT_EQ(cli(home_, {"verify"}).exitCode, 0);
  EXPECT_EQ(cli(homeB, {"verify"}).exitCode, 0);
}

TEST_F(CliTest, RefusedInputLeavesDatabaseUnchanged) {
  std::string before = exportAll(home_);
  ASSERT_FALSE(before.empty());
  json bad = model_.records.begin()->second;
  bad["id"] = "bad-orgnr";
  bad["buyers"][0]["orgnr"] = "958935421";  // 958935420 with a wrong check digit
  writeFile(dir_ / "bad-orgnr.json", bad.dump());
  auto r = cli(home_, {"case", "put", dir_ / "bad-orgnr.json"});
  EXPECT_EQ(r.exitCode, 2) << describe(r);
  EXPECT_NE(r.err.find("buyers[0].orgnr"), std::string::npos) << r.err;

  std::string big = R"({"id":"big","title":")" + std::string(50 << 20, 'a') + R"("})";
  writeFile(dir_ / "big.json", big);
  auto start = std::chrono::steady_clock::now();
  r = cli(home_, {"case", "put", dir_ / "big.json"});
  EXPECT_EQ(r.exitCode, 2) << describe(r);
  r = cli(home_, {"case", "put", "-"}, dir_ / "big.json");
  EXPECT_EQ(r.exitCode, 2) << describe(r);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));

  // "Blåbær" in ISO 8859-1: bytes that are not valid UTF-8.
  std::string latin1 = std::string(R"({"id":"latin1","title":"Bl)") + '\xe5' + 'b' + '\xe6' +
                       R"(r","procedure":"open","status":"planning"})";
  writeFile(dir_ / "latin1.json", latin1);
  r = cli(home_, {"case", "put", dir_ / "latin1.json"});
  EXPECT_EQ(r.exitCode, 2) << describe(r);
  EXPECT_NE(r.err.find("UTF-8"), std::string::npos) << r.err;

  // An import with one bad line among good ones imports nothing.
  json good = model_.records.begin()->second;
  good["id"] = "good-line";
  writeFile(dir_ / "mixed.jsonl", good.dump() + "\n" + bad.dump() + "\n");
  r = cli(home_, {"import", "--format", "jsonl", dir_ / "mixed.jsonl"});
  EXPECT_EQ(r.exitCode, 2) << describe(r);
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("buyers[0].orgnr"), std::string::npos) << r.err;
  EXPECT_EQ(exportAll(home_), before);
}

TEST_F(CliTest, ExitCodes) {
  EXPECT_EQ(cli(home_, {"frobnicate"}).exitCode, 2);
  EXPECT_EQ(cli(home_, {"case"}).exitCode, 2);
  EXPECT_EQ(cli(home_, {"case", "show"}).exitCode, 2);
  EXPECT_EQ(cli(home_, {"search", "--limit"}).exitCode, 2);
  EXPECT_EQ(cli(home_, {"case", "show", "nosuchcase"}).exitCode, 1);
  EXPECT_EQ(cli(home_, {"case", "put", dir_ / "missing.json"}).exitCode, 2);
  EXPECT_EQ(cli(home_, {"import", "--format", "jsonl", dir_ / "missing.jsonl"}).exitCode, 2);
  EXPECT_EQ(cli(home_, {"trust", "add", "not-a-key"}).exitCode, 2);
  EXPECT_EQ(cli(home_, {"vouch", std::string(64, 'a')}).exitCode, 2);  // --name is required
  EXPECT_EQ(cli(home_, {"peer", "add", "nohost", std::string(64, 'a')}).exitCode, 2);
  EXPECT_EQ(cli(home_, {"peer", "remove", std::string(64, 'a')}).exitCode, 1);
  for (std::string cmd :
       {"init",         "id",           "case",       "case put",       "case show",
        "case retract", "search",       "export",     "import",         "verify",
        "run",          "status",       "trust",      "trust add",      "trust list",
        "trust remove", "vouch",        "peer",       "peer add",       "peer list",
        "peer remove",  "reindex",      "need",       "need put",       "need show",
        "need match",   "need retract", "experience", "experience put", "experience retract"}) {
    auto r = run(words(cmd + " --help"));
    EXPECT_EQ(r.exitCode, 0) << describe(r);
    EXPECT_NE(r.out.find("Usage: allmenning " + cmd), std::string::npos) << r.out;
  }
}

}  // namespace
}  // namespace allmenning
