// Tests of the need and experience formats: a valid base record of each, a
// table of invalid documents (one mutation each, refused with a message that
// names the field), round trips, payload decoding, and retract targets.
#include "protocol/record_json.h"

#include <capnp/message.h>
#include <gtest/gtest.h>

#include <functional>
#include <random>
#include <set>

#include "protocol/capnp_util.h"
#include "protocol/case_json.h"
#include "protocol/records.h"
#include "protocol/schema/allmenning.capnp.h"

namespace allmenning {
namespace {

using Json = nlohmann::ordered_json;

const std::string kCaseRef = std::string(64, 'b') + "/flomvarsling-otta";

Json baseNeed() {
  return Json::parse(R"({
    "id": "varsling-flom-bekker",
    "title": "Varsling av flom i små bekker",
    "need": "Bekkene i bygda flommer over på kort tid.\nVi trenger varsel noen timer før.",
    "cpv": ["90700000-4", "38290000-4"],
    "sector": "emergency",
    "buyers": [
      {"name": "Vågå kommune", "orgnr": "959528225", "kommunenummer": "3435", "role": "lead"}
    ],
    "contact": {"role": "Beredskapsleder", "email": "beredskap@example.org"}
  })");
}

Json baseExperience() {
  return Json{{"id", "gjenbruk-flomvarsling"},
              {"case", kCaseRef},
              {"text", "Vi tok modellen i bruk i to vassdrag i 2024.\nDen varslet i tide."},
              {"results", "Ingen skader på kommunal vei den første høsten."}};
}

Json base(Kind kind) { return kind == Kind::kNeed ? baseNeed() : baseExperience(); }

struct BadRecord {
  std::string name;
  Kind kind;
  std::function<void(Json&)> mutate;  // applied to base(kind)
  std::string expected;               // the whole message
};

void PrintTo(const BadRecord& r, std::ostream* os) { *os << r.name; }

std::vector<BadRecord> badRecords() {
  const Kind need = Kind::kNeed, exp = Kind::kExperience;
  return {
      {"NeedMissingId", need, [](Json& j) { j.erase("id"); }, "id: is required"},
      {"NeedMissingTitle", need, [](Json& j) { j.erase("title"); }, "title: is required"},
      {"NeedMissingNeed", need, [](Json& j) { j.erase("need"); }, "need: is required"},
      {"NeedBadId", need, [](Json& j) { j["id"] = "Flom_Varsel"; },
       R"(id: "Flom_Varsel" does not match [a-z0-9][a-z0-9-]{0,79})"},
      {"NeedTitleTooLong", need, [](Json& j) { j["title"] = std::string(301, 't'); },
       "title: must be at most 300 characters long (has 301)"},
      {"NeedTitleWithNewline", need, [](Json& j) { j["title"] = "a\nb"; },
       "title: must not contain control character U+000A"},
      {"NeedEmptyNeed", need, [](Json& j) { j["need"] = ""; }, "need: must not be empty"},
      {"NeedNeedTooLong", need, [](Json& j) { j["need"] = std::string(20001, 'n'); },
       "need: must be at most 20000 characters long (has 20001)"},
      {"NeedBadCpv", need, [](Json& j) { j["cpv"][1] = "3829000-4"; },
       R"(cpv[1]: "3829000-4" is not a CPV code (DDDDDDDD-D or DDDDDDDD))"},
      {"NeedDuplicateCpv", need, [](Json& j) { j["cpv"][1] = "90700000-4"; },
       R"(cpv[1]: "90700000-4" is listed twice)"},
      {"NeedEmptyCpvList", need, [](Json& j) { j["cpv"] = Json::array(); },
       "cpv: must not be empty"},
      {"NeedBadSector", need, [](Json& j) { j["sector"] = "flood"; },
       R"(sector: "flood" is not one of health-care, building, transport, water-waste, )"
       R"(education, administration, emergency, environment, culture, other)"},
      {"NeedBuyersNotList", need, [](Json& j) { j["buyers"] = j["buyers"][0]; },
       "buyers: must be a list"},
      {"NeedBuyerOrgnrChecksum", need, [](Json& j) { j["buyers"][0]["orgnr"] = "959528226"; },
       "buyers[0].orgnr: 959528226 fails the MOD11 check"},
      {"NeedBuyerOrgnrShape", need, [](Json& j) { j["buyers"][0]["orgnr"] = "9595 28229"; },
       R"(buyers[0].orgnr: "9595 28229" must be 9 digits)"},
      {"NeedBuyerKommunenummer", need, [](Json& j) { j["buyers"][0]["kommunenummer"] = "345"; },
       R"(buyers[0].kommunenummer: "345" must be 4 digits)"},
      {"NeedBuyerRole", need, [](Json& j) { j["buyers"][0]["role"] = "owner"; },
       R"(buyers[0].role: "owner" is not one of lead, participant)"},
      {"NeedBuyerWithoutName", need, [](Json& j) { j["buyers"][0].erase("name"); },
       "buyers[0].name: is required"},
      {"NeedContactEmail", need, [](Json& j) { j["contact"]["email"] = "beredskap"; },
       R"(contact.email: "beredskap" is not an email address)"},
      {"NeedEmptyContact", need, [](Json& j) { j["contact"] = Json::object(); },
       "contact: must not be empty"},
      {"NeedCaseOnlyField", need, [](Json& j) { j["status"] = "planning"; },
       "status: unknown field"},
      {"ExperienceMissingCase", exp, [](Json& j) { j.erase("case"); }, "case: is required"},
      {"ExperienceMissingText", exp, [](Json& j) { j.erase("text"); }, "text: is required"},
      {"ExperienceMissingId", exp, [](Json& j) { j.erase("id"); }, "id: is required"},
      {"ExperienceCaseNotARef", exp, [](Json& j) { j["case"] = "flomvarsling-otta"; },
       R"(case: "flomvarsling-otta" is not a case reference (<64 lowercase hex>/<id>))"},
      {"ExperienceCaseShortKey", exp, [](Json& j) { j["case"] = "abc/flom"; },
       R"(case: "abc/flom" is not a case reference (<64 lowercase hex>/<id>))"},
      {"ExperienceCaseBadId", exp, [](Json& j) { j["case"] = std::string(64, 'b') + "/Flom"; },
       "case: \"" + std::string(64, 'b') +
           "/Flom\" is not a case reference (<64 lowercase hex>/<id>)"},
      {"ExperienceCaseNotString", exp, [](Json& j) { j["case"] = Json::array({kCaseRef}); },
       "case: must be a string"},
      {"ExperienceEmptyText", exp, [](Json& j) { j["text"] = ""; }, "text: must not be empty"},
      {"ExperienceTextWithEscape", exp, [](Json& j) { j["text"] = "a\x1b[2Jb"; },
       "text: must not contain control character U+001B"},
      {"ExperienceResultsNotString", exp, [](Json& j) { j["results"] = 3; },
       "results: must be a string"},
      {"ExperienceUnknownField", exp, [](Json& j) { j["title"] = "Erfaring"; },
       "title: unknown field"},
      {"ExperienceNotAnObject", exp, [](Json& j) { j = Json::array(); },
       "input: must be a JSON object"},
  };
}

class InvalidRecord : public ::testing::TestWithParam<BadRecord> {};

TEST_P(InvalidRecord, IsRefusedNamingTheField) {
  const BadRecord& r = GetParam();
  Json doc = base(r.kind);
  r.mutate(doc);
  auto result = recordFromJson(r.kind, doc.dump());
  ASSERT_FALSE(result.isOk()) << r.name << " was accepted";
  EXPECT_EQ(result.status().code(), Status::Code::kInvalidInput);
  EXPECT_EQ(result.status().message(), r.expected);
}

INSTANTIATE_TEST_SUITE_P(Table, InvalidRecord, ::testing::ValuesIn(badRecords()),
                         [](const auto& info) { return info.param.name; });

// Each entry tests its own rule: no two of one kind expect the same message.
TEST(InvalidRecordTable, EveryMessageIsDistinctWithinItsKind) {
  std::set<std::pair<Kind, std::string>> messages;
  for (const auto& r : badRecords()) {
    EXPECT_TRUE(messages.insert({r.kind, r.expected}).second) << r.name;
  }
}

TEST(RecordJson, FileLevelChecksApplyToEveryKind) {
  for (Kind kind : {Kind::kNeed, Kind::kExperience}) {
    SCOPED_TRACE(kindName(kind));
    EXPECT_TRUE(recordFromJson(kind, R"({"id": "a",})")
                    .status()
                    .message()
                    .starts_with("input: malformed JSON: parse error at line 1, column 12"));
    EXPECT_EQ(recordFromJson(kind, R"({"id": "a", "id": "b"})").status().message(),
              "id: duplicate key");
    EXPECT_EQ(recordFromJson(kind, std::string(kMaxCaseJsonBytes + 1, ' ')).status().message(),
              "input: 262145 bytes exceeds the limit of 262144");
    EXPECT_EQ(recordFromJson(kind, "{\"id\": \"\xC3\x28\"}").status().message(),
              "input: not valid UTF-8 at byte 8");
  }
}

// JSON -> payload -> JSON gives the same document, keys in format order, and
// the encoding does not depend on the order keys were written in.
TEST(RecordJson, BaseRecordsRoundTripInFormatOrder) {
  for (Kind kind : {Kind::kNeed, Kind::kExperience}) {
    SCOPED_TRACE(kindName(kind));
    const Json doc = base(kind);
    auto bytes = recordFromJson(kind, doc.dump());
    ASSERT_TRUE(bytes.isOk()) << bytes.status().message();
    auto decoded = decodeRecord(kind, *bytes);
    ASSERT_TRUE(decoded.isOk()) << decoded.status().message();
    EXPECT_EQ(decoded->dump(), doc.dump());
    Json reversed = Json::object();
    for (auto it = doc.rbegin(); it != doc.rend(); ++it) reversed[it.key()] = it.value();
    EXPECT_EQ(recordFromJson(kind, reversed.dump()).value(), *bytes);
    EXPECT_EQ(recordIdOf(kind, *bytes).value(), doc["id"]);
    EXPECT_TRUE(checkPayload(kind, *bytes).isOk());
  }
}

TEST(RecordJson, MinimalRecordsStayMinimal) {
  const Json need = {{"id", "n"}, {"title", "T"}, {"need", "N"}};
  const Json experience = {{"id", "e"}, {"case", kCaseRef}, {"text", "T"}};
  EXPECT_EQ(decodeRecord(Kind::kNeed, recordFromJsonValue(Kind::kNeed, need).value()).value(),
            need);
  EXPECT_EQ(
      decodeRecord(Kind::kExperience, recordFromJsonValue(Kind::kExperience, experience).value())
          .value(),
      experience);
}

TEST(RecordJson, KindsAreNotInterchangeable) {
  const Bytes need = recordFromJsonValue(Kind::kNeed, baseNeed()).value();
  const Bytes experience = recordFromJsonValue(Kind::kExperience, baseExperience()).value();
  // Each payload is refused under the other kinds: a need's title sits where
  // an experience keeps its case reference.
  EXPECT_FALSE(checkPayload(Kind::kExperience, need).isOk());
  EXPECT_FALSE(checkPayload(Kind::kCase, need).isOk());
  EXPECT_FALSE(checkPayload(Kind::kNeed, experience).isOk());
  EXPECT_EQ(recordFromJsonValue(Kind::kVouch, baseNeed()).status().code(),
            Status::Code::kInvalidInput);
  EXPECT_FALSE(isRecordKind(Kind::kRetract));
  EXPECT_TRUE(isRecordKind(Kind::kExperience));
}

// ---- Payloads from peers ------------------------------------------------------

Bytes rawNeed(const std::function<void(schema::Need::Builder)>& fill) {
  capnp::MallocMessageBuilder message;
  auto n = message.initRoot<schema::Need>();
  n.setId("raw-need");
  n.setTitle("Tittel");
  n.setNeed("Behov");
  fill(n);
  return canonicalBytes(n.asReader());
}

void expectCorrupt(Kind kind, const Bytes& bytes, const std::string& expected) {
  auto r = decodeRecord(kind, bytes);
  ASSERT_FALSE(r.isOk()) << "decoded: " << r.value().dump();
  EXPECT_EQ(r.status().code(), Status::Code::kCorruption);
  EXPECT_NE(r.status().message().find(expected), std::string::npos) << r.status().message();
}

TEST(DecodeRecord, RefusesPayloadsThatBreakARule) {
  EXPECT_TRUE(decodeRecord(Kind::kNeed, rawNeed([](auto) {})).isOk());
  expectCorrupt(Kind::kNeed, rawNeed([](auto n) { n.setTitle(""); }),
                "need payload breaks a rule: title: must not be empty");
  expectCorrupt(Kind::kNeed, rawNeed([](auto n) { n.initBuyers(1)[0].setName("A\x1b"); }),
                "buyers[0].name: must not contain control character U+001B");
  expectCorrupt(Kind::kNeed, rawNeed([](auto n) { n.disownNeed(); }), "need: is required");
  capnp::MallocMessageBuilder message;
  auto x = message.initRoot<schema::Experience>();
  x.setId("e");
  x.setCase("not-a-ref");
  x.setText("T");
  expectCorrupt(Kind::kExperience, canonicalBytes(x.asReader()),
                R"(case: "not-a-ref" is not a case reference)");
}

TEST(DecodeRecord, RefusesNonCanonicalAndForeignBytes) {
  Bytes padded = rawNeed([](auto) {});
  padded.resize(padded.size() + 8, 0);
  expectCorrupt(Kind::kNeed, padded, "not in canonical form");
  std::mt19937 rng(7);  // seeded: a failure reproduces
  for (int i = 0; i < 500; ++i) {
    Bytes bytes(8 * (1 + rng() % 32));
    for (auto& b : bytes) b = static_cast<uint8_t>(rng());
    EXPECT_FALSE(decodeRecord(Kind::kNeed, bytes).isOk()) << i;
    EXPECT_FALSE(decodeRecord(Kind::kExperience, bytes).isOk()) << i;
  }
  const Bytes good = recordFromJsonValue(Kind::kExperience, baseExperience()).value();
  for (size_t n = 0; n < good.size(); n += 8) {
    EXPECT_FALSE(decodeRecord(Kind::kExperience, ByteView(good.data(), n)).isOk()) << n;
  }
}

// ---- Retract targets and the record an entry addresses -------------------------

TEST(Retract, TargetRoundTripsAndCaseRetractsKeepTheirOldBytes) {
  for (Kind target : {Kind::kCase, Kind::kNeed, Kind::kExperience}) {
    auto r = decodeRetract(encodeRetract({"flom", true, target}));
    ASSERT_TRUE(r.isOk()) << r.status().message();
    EXPECT_EQ(r->target, target);
    EXPECT_EQ(r->caseId, "flom");
  }
  // A retract written before the target field existed decodes as a case's.
  capnp::MallocMessageBuilder message;
  auto old = message.initRoot<schema::Retract>();
  old.setCaseId("flom");
  EXPECT_EQ(canonicalBytes(old.asReader()), encodeRetract({"flom", false, Kind::kCase}));
  EXPECT_NE(encodeRetract({"flom", false, Kind::kNeed}), encodeRetract({"flom", false}));
}

TEST(Retract, OnlyRecordKindsCanBeTargets) {
  for (uint16_t target : {uint16_t{3}, uint16_t{4}, uint16_t{5}, uint16_t{6}, uint16_t{999}}) {
    capnp::MallocMessageBuilder message;
    auto r = message.initRoot<schema::Retract>();
    r.setCaseId("flom");
    r.setTarget(static_cast<schema::Kind>(target));
    auto decoded = decodeRetract(canonicalBytes(r.asReader()));
    ASSERT_FALSE(decoded.isOk()) << target;
    EXPECT_NE(decoded.status().message().find("is not a case, need or experience"),
              std::string::npos)
        << decoded.status().message();
  }
}

TEST(RecordOfPayload, NamesTheKindAndIdAnEntryAddresses) {
  auto of = [](Kind kind, const Bytes& payload) {
    auto r = recordOfPayload(kind, payload);
    EXPECT_TRUE(r.isOk() && *r) << (r.isOk() ? "none" : r.status().message());
    return r.isOk() && *r ? std::make_pair((*r)->kind, (*r)->id) : std::make_pair(kind, "?");
  };
  const Bytes need = recordFromJsonValue(Kind::kNeed, baseNeed()).value();
  EXPECT_EQ(of(Kind::kNeed, need),
            std::make_pair(Kind::kNeed, std::string("varsling-flom-bekker")));
  EXPECT_EQ(of(Kind::kRetract, encodeRetract({"x", false, Kind::kExperience})),
            std::make_pair(Kind::kExperience, std::string("x")));
  EXPECT_EQ(of(Kind::kRetract, encodeRetract({"y", false})),
            std::make_pair(Kind::kCase, std::string("y")));
  auto profile = recordOfPayload(Kind::kProfile, encodeProfile({"Lom kommune", "", ""}));
  ASSERT_TRUE(profile.isOk());
  EXPECT_FALSE(*profile);
}

}  // namespace
}  // namespace allmenning
