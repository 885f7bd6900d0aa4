// OCDS import, pure parts: the merge rules, fitting a record to the case
// rules, and planning the versions of a package's processes.
#include "protocol/ocds.h"

#include <gtest/gtest.h>

#include "protocol/case_json.h"
#include "protocol/ocds_package.h"

namespace allmenning::ocds {
namespace {

Json tenderRelease(const std::string& ocid, const std::string& date, Json tender) {
  return Json{{"ocid", ocid}, {"id", ocid + "-" + date}, {"date", date}, {"tender", tender}};
}

std::string packageOf(const Json& releases) {
  return Json{{"uri", "urn:test"}, {"releases", releases}}.dump();
}

Json recordOfStep(const Step& s) { return *decodeCase(*s.payload); }

TEST(OcdsMerge, LaterValuesReplaceNullRemovesAndIdentifiedListsMergeById) {
  Json compiled = Json::object();
  mergeRelease(compiled, Json::parse(R"({"ocid":"o","id":"r1","tag":["tender"],
      "tender":{"title":"A","description":"d","items":[{"id":"1","quantity":2}]},
      "awards":[{"id":"a1","status":"pending"}],"x":[1,2]})"));
  mergeRelease(compiled, Json::parse(R"({"ocid":"o","id":"r2","tag":["award"],
      "tender":{"description":null,"items":[{"id":"2","quantity":5}]},
      "awards":[{"id":"a1","status":"active"},{"id":"a2"}],"x":[3]})"));
  EXPECT_EQ(compiled["tender"]["title"], "A");
  EXPECT_FALSE(compiled["tender"].contains("description"));
  ASSERT_EQ(compiled["tender"]["items"].size(), 2u);
  EXPECT_EQ(compiled["tender"]["items"][0]["quantity"], 2);
  ASSERT_EQ(compiled["awards"].size(), 2u);
  EXPECT_EQ(compiled["awards"][0]["status"], "active");
  EXPECT_EQ(compiled["x"], Json::array({3}));  // not identified: replaced whole
  EXPECT_FALSE(compiled.contains("tag"));
  EXPECT_FALSE(compiled.contains("id"));
}

TEST(OcdsFit, RealWorldFieldsAreShortenedOrDroppedAndNamed) {
  Json record{
      {"id", "ocds-b5fd17-1"},
      {"title", std::string(400, 'x')},
      {"procedure", "open"},
      {"status", "tendering"},
      {"cpv", {"72000000", "4523313", "45233162-2"}},
      {"documents",
       {{{"title", "Kunngjøring"}, {"type", "x-doffinNotice"}, {"url", "https://d.example/1"}},
        {{"title", "Krav"}, {"type", "technicalSpecifications"}, {"url", "https://d.example/2"}}}}};
  std::vector<std::string> notes;
  auto fitted = fitToCaseRules(record, notes);
  ASSERT_TRUE(fitted.isOk()) << fitted.status().message();
  EXPECT_EQ((*fitted)["title"].get<std::string>().size(), 300u);
  EXPECT_EQ((*fitted)["cpv"], Json::array({"72000000", "45233162-2"}));
  ASSERT_EQ((*fitted)["documents"].size(), 1u);
  EXPECT_EQ((*fitted)["documents"][0]["title"], "Krav");
  ASSERT_EQ(notes.size(), 3u);
  EXPECT_EQ(notes[0], "title: shortened to 300 characters (had 400)");
  EXPECT_EQ(notes[1],
            "cpv[1]: dropped (cpv[1]: \"4523313\" is not a CPV code (DDDDDDDD-D or DDDDDDDD))");
  EXPECT_EQ(notes[2],
            "documents[0]: dropped (documents[0].type: \"x-doffinNotice\" is not an OCDS "
            "documentType code)");
  EXPECT_TRUE(caseFromJsonValue(*fitted).isOk());
}

TEST(OcdsFit, ARequiredFieldThatCannotBeFixedRefusesTheRecord) {
  Json record{{"id", "x"}, {"title", Json::array()}, {"procedure", "open"}, {"status", "planning"}};
  std::vector<std::string> notes;
  auto fitted = fitToCaseRules(record, notes);
  ASSERT_FALSE(fitted.isOk());
  EXPECT_EQ(fitted.status().message(), "title: must be a string");
}

TEST(OcdsPackage, ReleasesOfOneOcidCompileInDateOrderIntoOneCase) {
  Json later = {
      {"ocid", "ocds-b5fd17-7"},
      {"id", "3"},
      {"date", "2024-05-01T00:00:00Z"},
      {"parties", {{{"id", "s1"}, {"name", "Sensor AS"}, {"roles", {"supplier"}}}}},
      {"contracts",
       {{{"id", "k1"}, {"status", "active"}, {"value", {{"amount", 900}, {"currency", "NOK"}}}}}}};
  Json releases = {
      later,
      tenderRelease("ocds-b5fd17-7", "2024-01-01T00:00:00Z",
                    {{"id", "TENDER/2024/1"}, {"title", "Sensorer"}, {"status", "active"}}),
      tenderRelease("ocds-b5fd17-8", "2024-01-01T00:00:00Z",
                    {{"id", "TENDER/2024/1"}, {"title", "Annen prosess"}})};
  auto package = readPackage(packageOf(releases));
  ASSERT_TRUE(package.isOk()) << package.status().message();
  // Keyed by ocid: the shared tender.id does not join two processes.
  ASSERT_EQ(package->processes.size(), 2u);
  EXPECT_EQ(package->processes[0].caseId, "ocds-b5fd17-7");
  EXPECT_EQ(package->processes[1].caseId, "ocds-b5fd17-8");
  Plan plan = planProcess(*package, package->processes[0]);
  ASSERT_EQ(plan.steps.size(), 2u) << (plan.errors.empty() ? "" : plan.errors[0]);
  EXPECT_EQ(plan.steps[0].release, 1u);
  Json first = recordOfStep(plan.steps[0]), second = recordOfStep(plan.steps[1]);
  EXPECT_EQ(first["status"], "tendering");
  EXPECT_FALSE(first.contains("suppliers"));
  // The release without a tender keeps the tender's title and adds to it.
  EXPECT_EQ(second["title"], "Sensorer");
  EXPECT_EQ(second["status"], "implementation");
  EXPECT_EQ(second["suppliers"][0]["name"], "Sensor AS");
  EXPECT_EQ(second["value"]["amount"], 900);
}

TEST(OcdsPackage, AReleaseThatChangesNothingGivesNoStep) {
  Json t = {{"id", "1"}, {"title", "Sensorer"}, {"status", "active"}};
  auto package = readPackage(
      packageOf({tenderRelease("o-1", "2024-01-01", t), tenderRelease("o-1", "2024-02-01", t)}));
  ASSERT_TRUE(package.isOk());
  EXPECT_EQ(planProcess(*package, package->processes[0]).steps.size(), 1u);
}

TEST(OcdsPackage, ResumeSkipsWhatIsHeldAndRefusesADivergedCase) {
  auto step = [](uint8_t b) { return Step{0, "", Bytes{b}}; };
  std::vector<Step> steps = {step(1), step(2), step(3)};
  using Held = std::vector<std::optional<Bytes>>;
  EXPECT_EQ(resumeAt(Held{}, steps), 0u);
  EXPECT_EQ(resumeAt(Held{Bytes{1}}, steps), 1u);  // an interrupted import
  EXPECT_EQ(resumeAt(Held{Bytes{1}, Bytes{2}, Bytes{3}, Bytes{4}}, steps), 3u);  // newer here
  EXPECT_EQ(resumeAt(Held{Bytes{9}, Bytes{3}}, steps), 3u);  // live equals the last step
  EXPECT_FALSE(resumeAt(Held{Bytes{9}}, steps).has_value());  // parted ways
}

TEST(OcdsPackage, NestingDeeperThanAnyOcdsFieldIsRefusedWhole) {
  std::string deep = R"({"releases":[)" + std::string(100, '[') + std::string(100, ']') + "]}";
  auto package = readPackage(deep);
  ASSERT_FALSE(package.isOk());
  EXPECT_NE(package.status().message().find("nested deeper than 32"), std::string::npos);
}

}  // namespace
}  // namespace allmenning::ocds
