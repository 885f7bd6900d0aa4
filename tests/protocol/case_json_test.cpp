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
#include "tests/protocol/invalid_cases.h"

#ifndef ALLMENNING_SHARED_DIR
#define ALLMENNING_SHARED_DIR "/work/shared"
#endif

namespace allmenning {
namespace {

using Json = nlohmann::ordered_json;
using namespace invalid_cases;

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
