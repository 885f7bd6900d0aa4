// Tests of the case record's JSON <-> canonical Cap'n Proto layer: the
// sample cases, a table of invalid documents (one mutation of a valid base
// case each, refused with its own message), boundaries, and payload decoding.
#include "protocol/case_json.h"

#include <capnp/message.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <set>
#include <sstream>

#include "protocol/capnp_util.h"
#include "protocol/schema/allmenning.capnp.h"

#ifndef ALLMENNING_SHARED_DIR
#define ALLMENNING_SHARED_DIR "/work/shared"
#endif

namespace allmenning {
namespace {

using Json = nlohmann::ordered_json;

const std::string kAuthorHex(64, 'a');

// A valid case that uses every field, so each table entry can break one.
Json baseCase() {
  return Json::parse(R"({
    "id": "sensor-pilot",
    "title": "Sensorer som varsler vannlekkasjer i skolebygg",
    "summary": "Kommunen prøvde trådløse fuktsensorer i ti skoler.\nSensorene varsler driften.",
    "need": "Lekkasjer ble oppdaget først når skaden var skjedd.",
    "language": "nb",
    "buyers": [
      {"name": "Oslo kommune", "orgnr": "958935420", "kommunenummer": "0301", "role": "lead"},
      {"name": "Trøndelag fylkeskommune", "orgnr": "817920632", "role": "participant"}
    ],
    "procedure": "innovation-partnership",
    "innovation_types": ["prod-innov", "rd-act"],
    "cpv": ["45000000-7", "72212000-4"],
    "sector": "building",
    "status": "completed",
    "started": "2022-03-01",
    "ended": "2024-02-29",
    "suppliers": [{"name": "Fukt og Data AS", "orgnr": "100000016"}],
    "value": {"amount": 2500000, "currency": "NOK"},
    "solution": "Batteridrevne sensorer koblet til driftssystemet.",
    "results": "Tre lekkasjer ble stoppet tidlig det første året.",
    "lessons_learned": "Dekningen i kjellere måtte måles før utrulling.",
    "documents": [{"title": "Konkurransegrunnlag", "type": "biddingDocuments",
                   "url": "https://example.org/kgr.pdf", "sha256": ")" +
                     std::string(64, 'e') + R"("}],
    "contact": {"role": "Prosjektleder", "name": "Kari Nordmann", "email": "kari@example.org"},
    "doffin": ["2022-123456"],
    "related": [{"case": ")" +
                     kAuthorHex + R"(/flomvarsling-ottadalen", "relationship": "derived-from"}],
    "tags": ["sensor", "vannskade"]
  })");
}

std::string repeat(const std::string& s, size_t n) {
  std::string out;
  for (size_t i = 0; i < n; ++i) out += s;
  return out;
}

// ---- The table of invalid documents ----------------------------------------

struct BadCase {
  std::string name;
  std::function<std::string()> input;
  std::string expected;  // a substring of the message naming path and rule
};

// gtest prints parameters on failure; the name says more than the bytes.
void PrintTo(const BadCase& c, std::ostream* os) { *os << c.name; }

std::function<std::string()> edit(std::function<void(Json&)> mutate) {
  return [mutate] {
    Json j = baseCase();
    mutate(j);
    return j.dump(2);
  };
}

std::function<std::string()> raw(std::string text) {
  return [text] { return text; };
}

std::vector<BadCase> badCases() {
  const std::string ocdsCodes = "is not an OCDS documentType code";
  return {
      {"MalformedJson", raw(R"({"id": "x",})"),
       "input: malformed JSON: parse error at line 1, column 12"},
      {"TrailingGarbage", raw(R"({"id": "x"} x)"),
       "input: malformed JSON: parse error at line 1, column 13"},
      {"EmptyInput", raw(""), "input: malformed JSON: parse error at line 1, column 1"},
      {"NumberOverflow", raw(R"({"value": {"amount": 1e400}})"),
       "input: malformed JSON: number overflow parsing '1e400'"},
      {"AmountNotNumber", edit([](Json& j) { j["value"]["amount"] = "9 mill"; }),
       "value.amount: must be a number"},
      {"InvalidUtf8InString", raw("{\"title\": \"Skj\xC3\x28k\"}"),
       "input: not valid UTF-8 at byte 14"},
      {"OverlongUtf8", raw("{\"id\": \"a\xC0\xAF\"}"), "input: not valid UTF-8 at byte 9"},
      {"NotAnObject", raw(R"(["sensor-pilot"])"), "input: must be a JSON object"},
      {"NulAfterTheObject", raw(std::string("{\"id\": \"x\"}\0garbage", 19)),
       "input: NUL byte at byte 11"},
      {"TooLarge", raw(std::string(kMaxCaseJsonBytes + 1, ' ')),
       "input: 262145 bytes exceeds the limit of 262144"},
      {"DuplicateKey", raw(R"({"id": "a", "title": "x", "title": "y"})"), "title: duplicate key"},
      {"NestedDuplicateKey", raw(R"({"buyers": [{"name": "a"}, {"name": "b", "name": "c"}]})"),
       "buyers[1].name: duplicate key"},
      {"MissingId", edit([](Json& j) { j.erase("id"); }), "id: is required"},
      {"MissingTitle", edit([](Json& j) { j.erase("title"); }), "title: is required"},
      {"MissingProcedure", edit([](Json& j) { j.erase("procedure"); }), "procedure: is required"},
      {"MissingStatus", edit([](Json& j) { j.erase("status"); }), "status: is required"},
      {"BadId", edit([](Json& j) { j["id"] = "Sensor_Pilot"; }),
       R"(id: "Sensor_Pilot" does not match [a-z0-9][a-z0-9-]{0,79})"},
      {"LongValueIsShortenedInMessage", edit([](Json& j) { j["id"] = std::string(100, 'X'); }),
       "id: \"" + std::string(80, 'X') + "...\" does not match"},
      {"TitleTooLong", edit([](Json& j) { j["title"] = repeat("ø", 301); }),
       "title: must be at most 300 characters long (has 301)"},
      {"TitleNotString", edit([](Json& j) { j["title"] = 42; }), "title: must be a string"},
      {"TitleWithNewline", edit([](Json& j) { j["title"] = "Linje\nto"; }),
       "title: must not contain control character U+000A"},
      {"EmptySummary", edit([](Json& j) { j["summary"] = ""; }), "summary: must not be empty"},
      {"BadLanguage", edit([](Json& j) { j["language"] = "norsk"; }),
       R"(language: "norsk" is not a language tag)"},
      {"BuyersNotList", edit([](Json& j) { j["buyers"] = j["buyers"][0]; }),
       "buyers: must be a list"},
      {"BuyerNotObject", edit([](Json& j) { j["buyers"][0] = "Oslo"; }),
       "buyers[0]: must be an object"},
      {"BuyerWithoutName", edit([](Json& j) { j["buyers"][1].erase("name"); }),
       "buyers[1].name: is required"},
      {"OrgnrChecksum", edit([](Json& j) { j["buyers"][0]["orgnr"] = "958935421"; }),
       "buyers[0].orgnr: 958935421 fails the MOD11 check"},
      {"OrgnrLength", edit([](Json& j) { j["buyers"][1]["orgnr"] = "81792063"; }),
       R"(buyers[1].orgnr: "81792063" must be 9 digits)"},
      {"KommunenummerThreeDigits", edit([](Json& j) { j["buyers"][0]["kommunenummer"] = "301"; }),
       R"(buyers[0].kommunenummer: "301" must be 4 digits)"},
      {"BadRole", edit([](Json& j) { j["buyers"][1]["role"] = "boss"; }),
       R"(buyers[1].role: "boss" is not one of lead, participant)"},
      {"UnknownBuyerField", edit([](Json& j) { j["buyers"][0]["phone"] = "22 00 00 00"; }),
       "buyers[0].phone: unknown field"},
      {"KommunenummerOnSupplier",
       edit([](Json& j) { j["suppliers"][0]["kommunenummer"] = "0301"; }),
       "suppliers[0].kommunenummer: unknown field"},
      {"BadProcedure", edit([](Json& j) { j["procedure"] = "auction"; }),
       R"(procedure: "auction" is not one of open, restricted, negotiated, competitive-dialogue, )"
       R"(innovation-partnership, pre-commercial, innovation-competition, design-contest, )"
       R"(market-consultation, other)"},
      {"BadInnovationType", edit([](Json& j) { j["innovation_types"][1] = "magic"; }),
       R"(innovation_types[1]: "magic" is not one of buy-eff, fp-requ)"},
      {"DuplicateInnovationType", edit([](Json& j) { j["innovation_types"][1] = "prod-innov"; }),
       R"(innovation_types[1]: "prod-innov" is listed twice)"},
      {"TooManyInnovationTypes",
       edit([](Json& j) { j["innovation_types"] = std::vector<std::string>(9, "other"); }),
       "innovation_types: must have at most 8 items (has 9)"},
      {"BadCpv", edit([](Json& j) { j["cpv"][0] = "4500000"; }),
       R"(cpv[0]: "4500000" is not a CPV code (DDDDDDDD-D))"},
      {"EmptyCpvList", edit([](Json& j) { j["cpv"] = Json::array(); }), "cpv: must not be empty"},
      {"BadSector", edit([](Json& j) { j["sector"] = "farming"; }),
       R"(sector: "farming" is not one of health-care, building, transport)"},
      {"BadStatus", edit([](Json& j) { j["status"] = "done"; }),
       R"(status: "done" is not one of planning, market-dialogue)"},
      {"BadDateShape", edit([](Json& j) { j["started"] = "01.03.2022"; }),
       R"(started: "01.03.2022" is not a date (YYYY-MM-DD))"},
      {"ImpossibleDate", edit([](Json& j) { j["ended"] = "2023-02-30"; }),
       R"(ended: "2023-02-30" is not a date (YYYY-MM-DD))"},
      {"EndedBeforeStarted", edit([](Json& j) { j["ended"] = "2022-02-28"; }),
       R"(ended: "2022-02-28" is before started "2022-03-01")"},
      {"NegativeAmount", edit([](Json& j) { j["value"]["amount"] = -1; }),
       "value.amount: must not be negative"},
      {"AmountTooLarge", raw(R"({"value": {"amount": 9007199254740993}})"),
       "value.amount: must be at most 9007199254740992"},
      {"MissingAmount", edit([](Json& j) { j["value"].erase("amount"); }),
       "value.amount: is required"},
      {"BadCurrency", edit([](Json& j) { j["value"]["currency"] = "nok"; }),
       R"(value.currency: "nok" is not an ISO 4217 code)"},
      {"DocumentWithoutUrl", edit([](Json& j) { j["documents"][0].erase("url"); }),
       "documents[0].url: is required"},
      {"BadDocumentType", edit([](Json& j) { j["documents"][0]["type"] = "brochure"; }),
       R"(documents[0].type: "brochure" )" + ocdsCodes},
      {"FtpUrl", edit([](Json& j) { j["documents"][0]["url"] = "ftp://example.org/a"; }),
       R"(documents[0].url: "ftp://example.org/a" is not an http:// or https:// URL)"},
      {"UrlTooLong",
       edit([](Json& j) { j["documents"][0]["url"] = "https://e.org/" + std::string(1987, 'a'); }),
       "documents[0].url: must be at most 2000 characters long (has 2001)"},
      {"BadSha256", edit([](Json& j) { j["documents"][0]["sha256"] = std::string(64, 'E'); }),
       "documents[0].sha256: \"" + std::string(64, 'E') +
           "\" is not a SHA-256 digest (64 lowercase hex digits)"},
      {"EmptyContact", edit([](Json& j) { j["contact"] = Json::object(); }),
       "contact: must not be empty"},
      {"BadEmail", edit([](Json& j) { j["contact"]["email"] = "kari.example.org"; }),
       R"(contact.email: "kari.example.org" is not an email address)"},
      {"BadDoffinId", edit([](Json& j) { j["doffin"][0] = "2022-12345"; }),
       R"(doffin[0]: "2022-12345" is not a Doffin notice id (YYYY-NNNNNN))"},
      {"BadRelatedCase", edit([](Json& j) { j["related"][0]["case"] = "abc/flom"; }),
       R"(related[0].case: "abc/flom" is not a case reference (<64 lowercase hex>/<id>))"},
      {"BadRelationship", edit([](Json& j) { j["related"][0]["relationship"] = "cousin"; }),
       R"(related[0].relationship: "cousin" is not one of derived-from, prior, follow-up, )"
       R"(same-need)"},
      {"UnknownTopLevelField", edit([](Json& j) { j["frobnicate"] = true; }),
       "frobnicate: unknown field"},
      {"OddUnknownKey", edit([](Json& j) { j["contact"]["e mail"] = "x"; }),
       R"(contact."e mail": unknown field)"},
      {"TagNotString", edit([](Json& j) { j["tags"][1] = 7; }), "tags[1]: must be a string"},
      {"TagTooLong", edit([](Json& j) { j["tags"][0] = std::string(61, 't'); }),
       "tags[0]: must be at most 60 characters long (has 61)"},
      {"DuplicateTag", edit([](Json& j) { j["tags"][1] = "sensor"; }),
       R"(tags[1]: "sensor" is listed twice)"},
      {"TooManyTags", edit([](Json& j) {
         j["tags"] = Json::array();
         for (int i = 0; i < 31; ++i) j["tags"].push_back("t" + std::to_string(i));
       }),
       "tags: must have at most 30 items (has 31)"},
      {"NulInName", edit([](Json& j) { j["suppliers"][0]["name"] = std::string("a\0b", 3); }),
       "suppliers[0].name: must not contain control character U+0000"},
  };
}

class InvalidCase : public ::testing::TestWithParam<BadCase> {};

TEST_P(InvalidCase, IsRefusedWithItsOwnMessage) {
  const BadCase& c = GetParam();
  auto r = caseFromJson(c.input());
  ASSERT_FALSE(r.isOk()) << c.name << " was accepted";
  EXPECT_EQ(r.status().code(), Status::Code::kInvalidInput);
  EXPECT_NE(r.status().message().find(c.expected), std::string::npos)
      << "expected: " << c.expected << "\nactual:   " << r.status().message();
}

INSTANTIATE_TEST_SUITE_P(Table, InvalidCase, ::testing::ValuesIn(badCases()),
                         [](const auto& info) { return info.param.name; });

TEST(InvalidCaseTable, IsLargeAndEveryMessageIsDistinct) {
  const auto cases = badCases();
  EXPECT_GE(cases.size(), 35u);
  std::set<std::string> messages;
  for (const auto& c : cases) EXPECT_TRUE(messages.insert(c.expected).second) << c.name;
}

// ---- Accepted documents -----------------------------------------------------

Bytes encodeOk(const std::string& text) {
  auto r = caseFromJson(text);
  EXPECT_TRUE(r.isOk()) << r.status().message();
  return r.isOk() ? r.value() : Bytes{};
}

Json decodeOk(const Bytes& bytes) {
  auto r = decodeCase(bytes);
  EXPECT_TRUE(r.isOk()) << r.status().message();
  return r.isOk() ? r.value() : Json();
}

// JSON -> bytes -> JSON gives the same value, and encoding is deterministic.
void expectRoundTrip(const std::string& text) {
  const Bytes bytes = encodeOk(text);
  const Json decoded = decodeOk(bytes);
  // Compared as plain (key-sorted) values: key order is tested separately.
  EXPECT_EQ(nlohmann::json(decoded), nlohmann::json::parse(text));
  EXPECT_EQ(encodeOk(text), bytes);
  EXPECT_EQ(encodeOk(decoded.dump()), bytes);
}

std::vector<std::filesystem::path> sampleCases() {
  std::vector<std::filesystem::path> out;
  const std::filesystem::path dir = std::filesystem::path(ALLMENNING_SHARED_DIR) / "data/cases";
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    if (e.path().extension() == ".json") out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string readFile(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(CaseJson, EverySampleCaseIsAcceptedAndRoundTrips) {
  const auto files = sampleCases();
  ASSERT_FALSE(files.empty()) << "no samples under " << ALLMENNING_SHARED_DIR;
  for (const auto& f : files) {
    SCOPED_TRACE(f.string());
    expectRoundTrip(readFile(f));
  }
}

TEST(CaseJson, BaseCaseIsValidAndRoundTrips) {
  // Without this the table would prove nothing: each entry must fail
  // because of its one mutation, not because the base is wrong.
  expectRoundTrip(baseCase().dump());
}

TEST(CaseJson, DecodedKeysFollowTheCaseFormatOrder) {
  Json reversed = Json::object();
  const Json base = baseCase();
  for (auto it = base.rbegin(); it != base.rend(); ++it) reversed[it.key()] = it.value();
  const Bytes bytes = encodeOk(reversed.dump());
  EXPECT_EQ(bytes, encodeOk(base.dump()));  // key order never reaches the bytes
  const Json decoded = decodeOk(bytes);
  std::vector<std::string> keys;
  for (const auto& [k, v] : decoded.items()) keys.push_back(k);
  const std::vector<std::string> expected = {
      "id",       "title",           "summary",   "need",
      "language", "buyers",          "procedure", "innovation_types",
      "cpv",      "sector",          "status",    "started",
      "ended",    "suppliers",       "value",     "solution",
      "results",  "lessons_learned", "documents", "contact",
      "doffin",   "related",         "tags"};
  EXPECT_EQ(keys, expected);
  EXPECT_EQ(decoded.dump(), base.dump());  // nested keys in order too
}

TEST(CaseJson, MinimalCaseStaysMinimal) {
  const Json minimal = {
      {"id", "a"}, {"title", "T"}, {"procedure", "other"}, {"status", "planning"}};
  const Json decoded = decodeOk(encodeOk(minimal.dump()));
  EXPECT_EQ(decoded, minimal);  // no defaults (language nb, currency NOK) appear
}

TEST(CaseJson, AmountsKeepTheirForm) {
  auto amountAfterRoundTrip = [](const std::string& amount) {
    return decodeOk(encodeOk(R"({"id": "a", "title": "T", "procedure": "open",
        "status": "planning", "value": {"amount": )" +
                             amount + "}}"))["value"]["amount"]
        .dump();
  };
  EXPECT_EQ(amountAfterRoundTrip("9000000"), "9000000");
  EXPECT_EQ(amountAfterRoundTrip("9000000.0"), "9000000");
  EXPECT_EQ(amountAfterRoundTrip("0"), "0");
  EXPECT_EQ(amountAfterRoundTrip("1234.5"), "1234.5");
  EXPECT_EQ(amountAfterRoundTrip("0.1"), "0.1");
  EXPECT_EQ(amountAfterRoundTrip("1e3"), "1000");
  EXPECT_EQ(amountAfterRoundTrip("9007199254740992"), "9007199254740992");  // 2^53, the limit
}

TEST(CaseJson, NegativeZeroIsStoredAsZero) {
  Json j = baseCase();
  j["value"]["amount"] = 0;
  const Bytes zero = encodeOk(j.dump());
  j["value"]["amount"] = -0.0;
  auto r = caseFromJsonValue(j);
  ASSERT_TRUE(r.isOk()) << r.status().message();
  EXPECT_EQ(r.value(), zero);
}

TEST(CaseJson, LimitsAreInclusive) {
  Json j = baseCase();
  j["id"] = std::string(80, 'x');
  j["title"] = repeat("ø", 300);
  j["summary"] = repeat("æ", 20000);
  j["need"] = "Linje en\n\tLinje to\r\n";  // multi-line text may hold tab, LF, CR
  j["tags"] = Json::array();
  for (int i = 0; i < 30; ++i) {
    std::string tag = "tagg-" + std::to_string(i);
    tag.resize(60, 'x');
    j["tags"].push_back(tag);
  }
  expectRoundTrip(j.dump());
  j["summary"] = repeat("æ", 20001);
  EXPECT_EQ(caseFromJson(j.dump()).status().message(),
            "summary: must be at most 20000 characters long (has 20001)");
}

TEST(CaseJson, InputOfExactlyTheLimitIsAccepted) {
  std::string text = baseCase().dump();
  text.resize(kMaxCaseJsonBytes, ' ');
  EXPECT_TRUE(caseFromJson(text).isOk());
}

TEST(CaseJson, DeepNestingIsRefusedWithoutCrashing) {
  const std::string text = R"({"id": )" + std::string(100000, '[') + std::string(100000, ']') + "}";
  EXPECT_EQ(caseFromJson(text).status().message(), "id: must be a string");
}

TEST(CaseJson, ValuesBuiltInCodeAreCheckedToo) {
  // A plain nlohmann::json (sorted keys) converts and encodes the same.
  EXPECT_EQ(caseFromJsonValue(nlohmann::json(baseCase())).value(), encodeOk(baseCase().dump()));
  Json j = baseCase();
  j["title"] = "Skj\xE5k";  // Latin-1, never went through the parser's UTF-8 check
  EXPECT_EQ(caseFromJsonValue(j).status().message(), "title: not valid UTF-8");
  j = baseCase();
  j["value"]["amount"] = std::nan("");
  EXPECT_EQ(caseFromJsonValue(j).status().message(), "value.amount: must be a finite number");
  EXPECT_EQ(caseFromJsonValue(Json(42)).status().message(), "input: must be a JSON object");
}

// ---- Decoding payloads --------------------------------------------------------

// Canonical bytes of a Case built directly, bypassing every rule.
Bytes buildRaw(const std::function<void(schema::Case::Builder)>& fill) {
  capnp::MallocMessageBuilder message;
  auto c = message.initRoot<schema::Case>();
  c.setId("raw-case");
  c.setTitle("Tittel");
  c.setProcedure("open");
  c.setStatus("planning");
  fill(c);
  return canonicalBytes(c.asReader());
}

void expectCorrupt(const Bytes& bytes, const std::string& expected) {
  auto r = decodeCase(bytes);
  ASSERT_FALSE(r.isOk()) << "decoded: " << r.value().dump();
  EXPECT_EQ(r.status().code(), Status::Code::kCorruption);
  EXPECT_NE(r.status().message().find(expected), std::string::npos) << r.status().message();
}

TEST(DecodeCase, AcceptsARawCaseThatFollowsTheRules) {
  EXPECT_EQ(decodeOk(buildRaw([](auto) {}))["id"], "raw-case");
}

TEST(DecodeCase, RefusesPayloadsThatBreakARule) {
  expectCorrupt(buildRaw([](auto c) { c.setTitle(""); }), "title: must not be empty");
  expectCorrupt(buildRaw([](auto c) { c.setLanguage(""); }), "language: must not be empty");
  expectCorrupt(buildRaw([](auto c) { c.disownStatus(); }), "status: is required");
  expectCorrupt(buildRaw([](auto c) { c.initTags(0); }), "tags: must not be empty");
  expectCorrupt(buildRaw([](auto c) { c.initValue().setAmount(std::nan("")); }),
                "value.amount: must be a finite number");
  expectCorrupt(buildRaw([](auto c) { c.initBuyers(1)[0].setOrgnr("958935421"); }),
                "buyers[0].orgnr: 958935421 fails the MOD11 check");
}

TEST(DecodeCase, RefusesNonCanonicalBytes) {
  Bytes padded = buildRaw([](auto) {});
  padded.resize(padded.size() + 8, 0);
  expectCorrupt(padded, "not in canonical form");

  capnp::MallocMessageBuilder message;
  message.initRoot<schema::Case>().setId("x");
  auto flat = capnp::messageToFlatArray(message);  // has a segment table
  expectCorrupt(Bytes(flat.asBytes().begin(), flat.asBytes().end()), "case payload");

  // -0.0 is canonical Cap'n Proto, but the rules store every zero as 0.0.
  expectCorrupt(buildRaw([](auto c) { c.initValue().setAmount(-0.0); }),
                "not the canonical encoding of its content");
}

TEST(DecodeCase, RefusesFieldsUnknownToTheSchema) {
  auto build = [](bool extra) {
    capnp::MallocMessageBuilder message;
    auto ptrs = message.getRoot<capnp::AnyPointer>().initAsAnyStruct(0, 24).getPointerSection();
    ptrs[0].setAs<capnp::Text>("a");          // id
    ptrs[1].setAs<capnp::Text>("T");          // title
    ptrs[6].setAs<capnp::Text>("open");       // procedure
    ptrs[10].setAs<capnp::Text>("planning");  // status
    if (extra) ptrs[23].setAs<capnp::Text>("a field from a later schema");
    auto words = message.getRoot<capnp::AnyStruct>().asReader().canonicalize();
    return Bytes(words.asBytes().begin(), words.asBytes().end());
  };
  EXPECT_TRUE(decodeCase(build(false)).isOk());  // the same struct without it is fine
  expectCorrupt(build(true), "not the canonical encoding of its content");
}

TEST(DecodeCase, RefusesTextWithoutNulTerminator) {
  // Canonical form does not look inside blobs; reading them as Text does.
  capnp::MallocMessageBuilder message;
  auto ptrs = message.getRoot<capnp::AnyPointer>().initAsAnyStruct(0, 11).getPointerSection();
  ptrs[0].setAs<capnp::Data>(kj::StringPtr("abc").asBytes());  // id, no NUL at the end
  ptrs[1].setAs<capnp::Text>("T");
  ptrs[6].setAs<capnp::Text>("open");
  ptrs[10].setAs<capnp::Text>("planning");
  auto words = message.getRoot<capnp::AnyStruct>().asReader().canonicalize();
  const Bytes bytes(words.asBytes().begin(), words.asBytes().end());
  expectCorrupt(bytes, "case payload: malformed message");
  EXPECT_NE(caseIdOf(bytes).status().message().find("malformed message"), std::string::npos);
}

TEST(DecodeCase, RefusesTruncatedBytes) {
  const Bytes bytes = encodeOk(baseCase().dump());
  for (size_t n = 0; n < bytes.size(); ++n) {
    auto r = decodeCase(ByteView(bytes.data(), n));
    EXPECT_FALSE(r.isOk()) << "prefix of " << n << " bytes decoded";
  }
}

TEST(DecodeCase, RefusesRandomBytes) {
  std::mt19937 rng(20240611);  // seeded: a failure reproduces
  for (int i = 0; i < 2000; ++i) {
    Bytes bytes(8 * (1 + rng() % 64));
    for (auto& b : bytes) b = static_cast<uint8_t>(rng());
    EXPECT_FALSE(decodeCase(bytes).isOk()) << "iteration " << i;
  }
}

TEST(CaseIdOf, ReadsTheIdWithoutCheckingTheRest) {
  EXPECT_EQ(caseIdOf(encodeOk(baseCase().dump())).value(), "sensor-pilot");
  EXPECT_EQ(caseIdOf(buildRaw([](auto c) { c.setTitle(""); })).value(), "raw-case");
  EXPECT_FALSE(caseIdOf(buildRaw([](auto c) { c.setId("Not An Id"); })).isOk());
  EXPECT_FALSE(caseIdOf(buildRaw([](auto c) { c.disownId(); })).isOk());
  EXPECT_FALSE(caseIdOf(Bytes{1, 2, 3}).isOk());
}

}  // namespace
}  // namespace allmenning
