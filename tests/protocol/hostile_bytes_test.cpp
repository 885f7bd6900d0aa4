// Decoders of Cap'n Proto bytes from files and peers must return a Status for
// any input, never throw or crash. Each test rewrites well-formed messages
// with hostile pointer words and byte changes, and checks that every decoder
// either refuses the result or accepts only a value that re-encodes to the
// same bytes.
#include <gtest/gtest.h>

#include "protocol/case_json.h"
#include "protocol/entry.h"
#include "protocol/record_json.h"
#include "protocol/records.h"

namespace allmenning {
namespace {

// Pointer words that canonical form allows but that do not match the schema:
// a struct pointer, byte/word/composite lists, a far pointer, a capability,
// and lists whose length drops a Text's NUL or runs past the end.
const std::vector<uint64_t> kHostileWords = {
    0x000400000000000cULL, 0x000000040000000cULL, 0x0000000400000001ULL, 0x0000003d00000005ULL,
    0x0000001700000001ULL, 0x000000380000000dULL, 0x0000000000000002ULL, 0x0000000000000003ULL,
    0xffffffff00000001ULL, 0x0000000200000001ULL, 0x00000001fffffffcULL, 0x0000000500000004ULL,
};

template <typename Decode>
void expectNoThrowOnMutations(const Bytes& good, Decode decode, const char* what) {
  for (size_t word = 0; word + 8 <= good.size(); word += 8) {
    for (uint64_t w : kHostileWords) {
      Bytes b = good;
      for (int i = 0; i < 8; ++i) b[word + i] = static_cast<uint8_t>(w >> (8 * i));
      EXPECT_NO_THROW(decode(b)) << what << " word " << word / 8;
    }
  }
  for (size_t i = 0; i < good.size(); ++i) {
    for (int delta : {1, -1, 0x80}) {
      Bytes b = good;
      b[i] = static_cast<uint8_t>(b[i] + delta);
      EXPECT_NO_THROW(decode(b)) << what << " byte " << i;
    }
  }
}

TEST(HostileBytes, HeaderDecoderNeverThrows) {
  auto key = SecretKey::generate();
  Header h;
  h.network = networkId("test");
  h.author = key->publicKey();
  h.seq = 7;
  Entry e = signEntry(*key, h, encodeRetract({"a-case", false}));
  int accepted = 0;
  expectNoThrowOnMutations(
      e.headerBytes,
      [&](const Bytes& b) {
        auto r = decodeHeader(b);
        if (r.isOk()) {
          ++accepted;
          EXPECT_EQ(encodeHeader(*r), b);  // anything accepted has one encoding
        }
        return r.isOk();
      },
      "header");
  EXPECT_GT(accepted, 0);  // changes to plain data fields still decode
}

TEST(HostileBytes, RecordDecodersNeverThrow) {
  expectNoThrowOnMutations(
      encodeRetract({"flom-2024", true}),
      [](const Bytes& b) {
        auto r = decodeRetract(b);
        if (r.isOk()) {
          EXPECT_EQ(encodeRetract(*r), b);
        }
        return r.isOk();
      },
      "retract");
  expectNoThrowOnMutations(
      encodeProfile({"Lom kommune", "958935420", "3434"}),
      [](const Bytes& b) {
        auto r = decodeProfile(b);
        if (r.isOk()) {
          EXPECT_EQ(encodeProfile(*r), b);
        }
        return r.isOk();
      },
      "profile");
}

TEST(HostileBytes, CaseDecodersNeverThrow) {
  auto good = caseFromJson(R"({"id":"flom","title":"Flomvarsling","procedure":"open",
    "status":"completed","buyers":[{"name":"Lom kommune","kommunenummer":"3434"}],
    "cpv":["90700000-4"],"tags":["flom","varsling"]})");
  ASSERT_TRUE(good.isOk()) << good.status().message();
  expectNoThrowOnMutations(
      *good, [](const Bytes& b) { return decodeCase(b).isOk(); }, "case");
  expectNoThrowOnMutations(
      *good, [](const Bytes& b) { return caseIdOf(b).isOk(); }, "caseId");
  expectNoThrowOnMutations(
      *good, [](const Bytes& b) { return checkPayload(Kind::kCase, b).isOk(); }, "payload");
}

TEST(HostileBytes, NeedAndExperienceDecodersNeverThrow) {
  const std::string ref = std::string(64, 'c') + "/flom";
  auto need = recordFromJson(Kind::kNeed, R"({"id":"flom","title":"Flomvarsling","need":"Varsel",
    "cpv":["90700000-4"],"buyers":[{"name":"Lom kommune","kommunenummer":"3434"}],
    "contact":{"email":"post@example.org"}})");
  auto experience = recordFromJson(
      Kind::kExperience, R"({"id":"e","case":")" + ref + R"(","text":"Tekst","results":"R"})");
  ASSERT_TRUE(need.isOk()) << need.status().message();
  ASSERT_TRUE(experience.isOk()) << experience.status().message();
  for (auto [kind, good] :
       {std::pair(Kind::kNeed, *need), std::pair(Kind::kExperience, *experience)}) {
    int accepted = 0;
    expectNoThrowOnMutations(
        good,
        [&, kind = kind](const Bytes& b) {
          auto r = decodeRecord(kind, b);
          if (r.isOk()) {
            ++accepted;
            EXPECT_EQ(recordFromJsonValue(kind, *r).value(), b);
          }
          EXPECT_NO_THROW(recordIdOf(kind, b));
          return r.isOk();
        },
        kindName(kind).c_str());
    EXPECT_GT(accepted, 0);  // changed letters inside text still decode
  }
  expectNoThrowOnMutations(
      encodeRetract({"flom", false, Kind::kNeed}),
      [](const Bytes& b) { return checkPayload(Kind::kRetract, b).isOk(); }, "retract of a need");
}

TEST(HostileBytes, ProfileNameWithControlCharactersIsRefused) {
  EXPECT_FALSE(checkProfile({"Lom\nkommune", "", ""}).isOk());
  EXPECT_FALSE(checkProfile({"Lom \x1b[2J", "", ""}).isOk());
  EXPECT_TRUE(checkProfile({"Lom kommune", "", ""}).isOk());
}

}  // namespace
}  // namespace allmenning
