// OCDS exchange through the binary: the exported package validates against
// OCDS 1.1, a round trip through a fresh node gives the same releases, and
// invalid releases are reported one by one while the valid ones import.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>

#include "tests/cli/process.h"
#include "tests/test_util.h"

namespace allmenning {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using testing::describe;
using testing::ProcessResult;
using testing::TempDir;

ProcessResult cli(const std::string& home, std::vector<std::string> args) {
  args.insert(args.begin(), {ALLMENNING_BINARY, "--home", home});
  return testing::runProcess(args);
}

class OcdsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(init(a_, "Oslo kommune"), 0);
    std::vector<fs::path> files;
    for (const auto& f : fs::recursive_directory_iterator(ALLMENNING_SHARED_DIR "/data/cases")) {
      if (f.path().extension() == ".json") files.push_back(f.path());
    }
    // The examples folder's top level holds cases; needs and experiences
    // are in subfolders.
    for (const auto& f : fs::directory_iterator(ALLMENNING_SOURCE_DIR "/deploy/examples")) {
      if (f.path().extension() == ".json") files.push_back(f.path());
    }
    std::sort(files.begin(), files.end());
    for (const auto& f : files) {
      auto r = cli(a_, {"case", "put", f.string()});
      ASSERT_EQ(r.exitCode, 0) << describe(r);
    }
    ASSERT_EQ(cli(a_, {"case", "retract", "utstyrsdeling-skoler"}).exitCode, 0);
  }

  int init(const std::string& home, const std::string& name) {
    return cli(home, {"init", "--name", name, "--orgnr", "958935420"}).exitCode;
  }

  json exported(const std::string& home, const std::string& file) {
    auto r = cli(home, {"export", "--format", "ocds", "-o", file});
    EXPECT_EQ(r.exitCode, 0) << describe(r);
    return json::parse(testing::readFile(file));
  }

  std::string keyOf(const std::string& home) { return cli(home, {"id"}).out.substr(0, 64); }

  TempDir dir_;
  std::string a_ = dir_ / "a";
  std::string b_ = dir_ / "b";
};

TEST_F(OcdsTest, ExportedPackageValidatesAgainstOcds11) {
  if (std::system("python3 -c 'import jsonschema' 2>/dev/null") != 0) {
    GTEST_SKIP() << "python3 with jsonschema is needed to run the OCDS validator";
  }
  json package = exported(a_, dir_ / "a.json");
  // One release per case version: every put stored one, and the retraction
  // adds a withdrawing release.
  size_t versions = 0;
  for (const auto& line : testing::linesOf(cli(a_, {"export", "--format", "jsonl"}).out)) {
    std::string kind = json::parse(line)["kind"];
    versions += kind == "case" || kind == "retract";
  }
  EXPECT_EQ(package["releases"].size(), versions);
  std::string cmd = std::string(ALLMENNING_SHARED_DIR) + "/tools/validate-ocds " +
                    (dir_ / "a.json") + " > " + (dir_ / "validate.txt") + " 2>&1";
  int rc = std::system(cmd.c_str());
  EXPECT_EQ(rc, 0) << testing::readFile(dir_ / "validate.txt");
  // The validator is strict enough to fail: a release without its ocid.
  package["releases"][0].erase("ocid");
  testing::writeFile(dir_ / "bad.json", package.dump());
  cmd = std::string(ALLMENNING_SHARED_DIR) + "/tools/validate-ocds " + (dir_ / "bad.json") +
        " > /dev/null 2>&1";
  EXPECT_NE(std::system(cmd.c_str()), 0);
}

// Importing makes the releases this node's own cases, so what names the
// publishing log (ocid prefix, release id, signing date) changes; every
// other field, and the order and number of releases, must not.
TEST_F(OcdsTest, RoundTripThroughAFreshNodeGivesTheSameReleases) {
  json first = exported(a_, dir_ / "a.json");
  ASSERT_EQ(init(b_, "Bergen kommune"), 0);
  auto r = cli(b_, {"import", "--format", "ocds", dir_ / "a.json"});
  ASSERT_EQ(r.exitCode, 0) << describe(r);
  EXPECT_NE(r.err.find("1 withdrawn, 0 invalid"), std::string::npos) << r.err;
  json second = exported(b_, dir_ / "b.json");
  ASSERT_EQ(second["releases"].size(), first["releases"].size());
  std::string keyA = keyOf(a_), keyB = keyOf(b_);
  for (size_t i = 0; i < first["releases"].size(); ++i) {
    json x = first["releases"][i], y = second["releases"][i];
    SCOPED_TRACE(x["id"].get<std::string>());
    std::string idA = x["tender"]["id"];
    EXPECT_EQ(x["ocid"], "ocds-allmenning-" + keyA.substr(0, 16) + "-" + idA);
    EXPECT_EQ(y["ocid"], "ocds-allmenning-" + keyB.substr(0, 16) + "-" + idA);
    std::string seqA = x["id"].get<std::string>().substr(x["ocid"].get<std::string>().size());
    std::string seqB = y["id"].get<std::string>().substr(y["ocid"].get<std::string>().size());
    EXPECT_EQ(seqA, seqB) << "versions are signed in the same order";
    for (const char* k : {"ocid", "id", "date"}) {
      x.erase(k);
      y.erase(k);
    }
    EXPECT_EQ(x, y);
  }
  // Importing the same package again stores nothing new.
  r = cli(b_, {"import", "--format", "ocds", dir_ / "a.json"});
  EXPECT_EQ(r.exitCode, 0) << describe(r);
  EXPECT_NE(r.err.find("imported 0 case versions"), std::string::npos) << r.err;
}

// Real data breaks small rules all the time; each such field is dropped or
// shortened and named, and the release is imported.
TEST_F(OcdsTest, RealWorldFieldsAreImportedAndEachChangeIsNamed) {
  json foreign = {
      {"ocid", "ocds-b5fd17-2025-101010"},
      {"id", "1"},
      {"date", "2025-03-01T10:00:00Z"},
      {"tag", {"tender"}},
      {"initiationType", "tender"},
      {"parties",
       {{{"id", "NO-BRC-964338531"},
         {"name", "Bergen kommune"},
         {"identifier", {{"scheme", "NO-BRC"}, {"id", "964338531"}}},
         {"roles", {"buyer"}}},
        {{"id", "NO-BRC-964338532"},
         {"name", "Feil AS"},
         {"identifier", {{"scheme", "NO-BRC"}, {"id", "964338532"}}},
         {"roles", {"supplier"}}}}},
      {"buyer", {{"id", "NO-BRC-964338531"}, {"name", "Bergen kommune"}}},
      {"tender",
       {{"id", "TENDER/2024/1"},
        {"title", std::string(390, 'x') + "Sensorer"},
        {"description", "Kommunen kjøper sensorer som varsler glatte fortau."},
        {"status", "active"},
        {"procurementMethod", "open"},
        {"documents",
         {{{"id", "1"},
           {"documentType", "x-doffinNotice"},
           {"title", "Kunngjøring"},
           {"url", "https://doffin.example/1"}}}},
        {"items", {{{"id", "1"}, {"classification", {{"scheme", "CPV"}, {"id", "72000000"}}}}}}}}};
  json noTitle = foreign;
  noTitle["ocid"] = "ocds-b5fd17-2025-2";
  noTitle["tender"].erase("title");
  json package = {{"uri", "urn:example"},
                  {"version", "1.1"},
                  {"publishedDate", "2025-03-01T10:00:00Z"},
                  {"publisher", {{"name", "Doffin"}}},
                  {"releases", {noTitle, foreign, "not an object"}}};
  testing::writeFile(dir_ / "doffin.json", package.dump());
  ASSERT_EQ(init(b_, "Bergen kommune"), 0);
  auto r = cli(b_, {"import", "--format", "ocds", dir_ / "doffin.json"});
  EXPECT_EQ(r.exitCode, 2) << describe(r);
  EXPECT_NE(r.err.find("releases[0] (ocds-b5fd17-2025-2): tender.title: missing, and no award or "
                       "contract has a title"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("releases[2]: not a JSON object"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("imported 1 case version from 3 releases (0 unchanged, 0 withdrawn, 2 "
                       "invalid)"),
            std::string::npos)
      << r.err;
  for (const char* note :
       {"releases[1] (ocds-b5fd17-2025-101010): title: shortened to 300 characters (had 398)",
        "releases[1] (ocds-b5fd17-2025-101010): suppliers[0].orgnr: dropped (suppliers[0].orgnr: "
        "964338532 fails the MOD11 check)",
        "releases[1] (ocds-b5fd17-2025-101010): documents[0]: dropped (documents[0].type: "
        "\"x-doffinNotice\" is not an OCDS documentType code)"}) {
    EXPECT_NE(r.err.find(note), std::string::npos) << note << "\n" << r.err;
  }
  // Keyed by ocid: the tender.id is no case id.
  EXPECT_EQ(r.out, keyOf(b_) + "/ocds-b5fd17-2025-101010\n");
  json shown = json::parse(cli(b_, {"case", "show", "ocds-b5fd17-2025-101010", "--json"}).out);
  const json& rec = shown["record"];
  EXPECT_EQ(rec["title"], std::string(300, 'x'));
  EXPECT_EQ(rec["summary"], "Kommunen kjøper sensorer som varsler glatte fortau.");
  EXPECT_EQ(rec["procedure"], "open");
  EXPECT_EQ(rec["status"], "tendering");
  EXPECT_EQ(rec["cpv"], json::array({"72000000"}));
  EXPECT_EQ(rec["buyers"][0]["orgnr"], "964338531");
  EXPECT_EQ(rec["buyers"][0]["role"], "lead");
  EXPECT_EQ(rec["suppliers"], json::parse(R"([{"name":"Feil AS"}])"));
  EXPECT_FALSE(rec.contains("documents"));
}

// Importing an export never changes what is live: a case put, retracted
// and put again stays live, another author's case is not copied into this
// node's log, and nothing new is written.
TEST_F(OcdsTest, ReimportIntoTheExportingNodeChangesNothing) {
  auto put =
      cli(a_, {"case", "put", ALLMENNING_SHARED_DIR "/data/cases/oslo/utstyrsdeling-skoler.json"});
  ASSERT_EQ(put.exitCode, 0) << describe(put);
  std::string c = dir_ / "c";
  ASSERT_EQ(init(c, "Lom kommune"), 0);
  testing::writeFile(dir_ / "lom.json", testing::caseJson("flomvarsling-lom"));
  ASSERT_EQ(cli(c, {"case", "put", dir_ / "lom.json"}).exitCode, 0);
  ASSERT_EQ(cli(c, {"export", "--format", "jsonl", "-o", dir_ / "c.jsonl"}).exitCode, 0);
  ASSERT_EQ(cli(a_, {"trust", "add", keyOf(c), "--name", "Lom"}).exitCode, 0);
  ASSERT_EQ(cli(a_, {"import", "--format", "jsonl", dir_ / "c.jsonl"}).exitCode, 0);
  exported(a_, dir_ / "a.json");
  std::string before = cli(a_, {"export", "--format", "jsonl"}).out;
  auto r = cli(a_, {"import", "--format", "ocds", dir_ / "a.json"});
  EXPECT_EQ(r.exitCode, 0) << describe(r);
  EXPECT_NE(r.err.find("imported 0 case versions"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(" 0 withdrawn, 0 invalid)"), std::string::npos) << r.err;
  EXPECT_EQ(cli(a_, {"export", "--format", "jsonl"}).out, before);
  json shown = json::parse(cli(a_, {"case", "show", "utstyrsdeling-skoler", "--json"}).out);
  EXPECT_EQ(shown["retracted"], false);
}

// A fresh node that imports the export holds the exporter's live cases,
// field for field, and the same retracted ones.
TEST_F(OcdsTest, AFreshNodeEndsWithTheExportersLiveCases) {
  auto put =
      cli(a_, {"case", "put", ALLMENNING_SHARED_DIR "/data/cases/oslo/utstyrsdeling-skoler.json"});
  ASSERT_EQ(put.exitCode, 0) << describe(put);
  ASSERT_EQ(cli(a_, {"case", "retract", "flomvarsling-ottadalen"}).exitCode, 0);
  json package = exported(a_, dir_ / "a.json");
  ASSERT_EQ(init(b_, "Bergen kommune"), 0);
  auto r = cli(b_, {"import", "--format", "ocds", dir_ / "a.json"});
  ASSERT_EQ(r.exitCode, 0) << describe(r);
  std::set<std::string> ids;
  for (const auto& release : package["releases"]) ids.insert(release["tender"]["id"]);
  for (const auto& id : ids) {
    SCOPED_TRACE(id);
    json x = json::parse(cli(a_, {"case", "show", id, "--json"}).out);
    json y = json::parse(cli(b_, {"case", "show", id, "--json"}).out);
    EXPECT_EQ(x["retracted"], y["retracted"]);
    EXPECT_EQ(x["record"], y["record"]);
  }
  json live = json::parse(cli(b_, {"case", "show", "utstyrsdeling-skoler", "--json"}).out);
  EXPECT_EQ(live["retracted"], false);
  json gone = json::parse(cli(b_, {"case", "show", "flomvarsling-ottadalen", "--json"}).out);
  EXPECT_EQ(gone["retracted"], true);
}

// One process published as six releases (tests/data/ocds-process): in one
// package, or one package per release as publishers put them out, all six
// make one case, and award and contract releases add to it.
TEST_F(OcdsTest, SixReleasesOfOneProcessMakeOneCase) {
  const std::string data = ALLMENNING_SOURCE_DIR "/tests/data/ocds-process/";
  const std::string ocid = "ocds-x7q2nb-2024-0042";
  std::vector<std::string> parts = {"01-planning", "02-tender",   "03-tenderAmendment",
                                    "04-award",    "05-contract", "06-implementation"};
  ASSERT_EQ(init(b_, "Bergen kommune"), 0);
  auto r = cli(b_, {"import", "--format", "ocds", data + ocid + ".json"});
  EXPECT_EQ(r.exitCode, 0) << describe(r);
  EXPECT_NE(r.err.find("imported 6 case versions from 6 releases (0 unchanged, 0 withdrawn, 0 "
                       "invalid)"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(r.out, keyOf(b_) + "/" + ocid + "\n");
  for (const char* note :
       {"releases[0] (ocds-x7q2nb-2024-0042): documents[1]: dropped (documents[1].type: "
        "\"x-doffinNotice\" is not an OCDS documentType code)",
        "releases[1] (ocds-x7q2nb-2024-0042): title: shortened to 300 characters (had 403)",
        "releases[3] (ocds-x7q2nb-2024-0042): suppliers[0].orgnr: dropped"}) {
    EXPECT_NE(r.err.find(note), std::string::npos) << note << "\n" << r.err;
  }
  json whole = json::parse(cli(b_, {"case", "show", ocid, "--json"}).out)["record"];
  EXPECT_EQ(whole["status"], "implementation");
  EXPECT_EQ(whole["cpv"], json::array({"38421100", "72000000"}));
  EXPECT_EQ(whole["suppliers"], json::parse(R"([{"name":"Lekkasjevakt AS"}])"));
  EXPECT_EQ(whole["value"], json::parse(R"({"amount":4100000,"currency":"NOK"})"));
  EXPECT_EQ(whole["started"], "2024-09-01");
  EXPECT_EQ(whole["ended"], "2028-08-31");
  EXPECT_EQ(whole["documents"].size(), 7u);
  // The same releases one package at a time: the same case, version by version.
  std::string c = dir_ / "c";
  ASSERT_EQ(init(c, "Bergen kommune"), 0);
  for (const auto& part : parts) {
    r = cli(c, {"import", "--format", "ocds", data + ocid + "-" + part + ".json"});
    EXPECT_EQ(r.exitCode, 0) << part << "\n" << describe(r);
    EXPECT_NE(r.err.find("imported 1 case version from 1 releases"), std::string::npos)
        << part << "\n"
        << r.err;
  }
  EXPECT_EQ(json::parse(cli(c, {"case", "show", ocid, "--json"}).out)["record"], whole);
  // Again, whole or in parts: nothing new.
  for (const auto& file : {ocid + ".json", ocid + "-03-tenderAmendment.json"}) {
    r = cli(c, {"import", "--format", "ocds", data + file});
    EXPECT_NE(r.err.find("imported 0 case versions"), std::string::npos) << file << "\n" << r.err;
  }
}

TEST_F(OcdsTest, APackageThatIsNotOneIsRefusedWhole) {
  testing::writeFile(dir_ / "x.json", R"({"releases": "none"})");
  auto r = cli(a_, {"import", "--format", "ocds", dir_ / "x.json"});
  EXPECT_EQ(r.exitCode, 2) << describe(r);
  EXPECT_NE(r.err.find("not an OCDS release package"), std::string::npos) << r.err;
  testing::writeFile(dir_ / "y.json", "{\"releases\": [");
  r = cli(a_, {"import", "--format", "ocds", dir_ / "y.json"});
  EXPECT_EQ(r.exitCode, 2) << describe(r);
  EXPECT_NE(r.err.find("not valid JSON"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace allmenning
