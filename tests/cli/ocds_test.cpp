// OCDS exchange through the binary: the exported package validates against
// OCDS 1.1, a round trip through a fresh node gives the same releases, and
// invalid releases are reported one by one while the valid ones import.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>

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

TEST_F(OcdsTest, InvalidReleasesAreNamedAndTheValidOnesImported) {
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
         {"roles", {"buyer"}}}}},
      {"buyer", {{"id", "NO-BRC-964338531"}, {"name", "Bergen kommune"}}},
      {"tender",
       {{"id", "2025-101010"},
        {"title", "Sensorer for glatte veier"},
        {"description", "Kommunen kjøper sensorer som varsler glatte fortau."},
        {"status", "active"},
        {"procurementMethod", "open"},
        {"items",
         {{{"id", "1"}, {"classification", {{"scheme", "CPV"}, {"id", "38120000-2"}}}}}}}}};
  json noTender = foreign;
  noTender.erase("tender");
  noTender["ocid"] = "ocds-b5fd17-2025-2";
  json badOrgnr = foreign;
  badOrgnr["ocid"] = "ocds-b5fd17-2025-3";
  badOrgnr["tender"]["id"] = "2025-3";
  badOrgnr["parties"][0]["identifier"]["id"] = "964338532";
  json badCpv = foreign;
  badCpv["ocid"] = "ocds-b5fd17-2025-4";
  badCpv["tender"]["id"] = "2025-4";
  badCpv["tender"]["items"][0]["classification"]["id"] = "38120000";
  json package = {{"uri", "urn:example"},
                  {"version", "1.1"},
                  {"publishedDate", "2025-03-01T10:00:00Z"},
                  {"publisher", {{"name", "Doffin"}}},
                  {"releases", {noTender, foreign, badOrgnr, "not an object", badCpv}}};
  testing::writeFile(dir_ / "doffin.json", package.dump());
  ASSERT_EQ(init(b_, "Bergen kommune"), 0);
  auto r = cli(b_, {"import", "--format", "ocds", dir_ / "doffin.json"});
  EXPECT_EQ(r.exitCode, 2) << describe(r);
  EXPECT_NE(r.err.find("releases[0] (ocds-b5fd17-2025-2): tender: missing"), std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("releases[2] (ocds-b5fd17-2025-3): buyers[0].orgnr: 964338532 fails the "
                       "MOD11 check"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("releases[3]: not a JSON object"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("releases[4] (ocds-b5fd17-2025-4): cpv[0]"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("4 invalid"), std::string::npos) << r.err;
  EXPECT_EQ(r.out, keyOf(b_) + "/2025-101010\n");
  // The foreign fields landed where the case format has them.
  json shown = json::parse(cli(b_, {"case", "show", "2025-101010", "--json"}).out);
  const json& rec = shown["record"];
  EXPECT_EQ(rec["title"], "Sensorer for glatte veier");
  EXPECT_EQ(rec["summary"], "Kommunen kjøper sensorer som varsler glatte fortau.");
  EXPECT_EQ(rec["procedure"], "open");
  EXPECT_EQ(rec["status"], "tendering");
  EXPECT_EQ(rec["cpv"], json::array({"38120000-2"}));
  EXPECT_EQ(rec["buyers"][0]["orgnr"], "964338531");
  EXPECT_EQ(rec["buyers"][0]["role"], "lead");
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
