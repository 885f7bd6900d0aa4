// The one text rule of every record (protocol/text_rule.h): what it refuses
// in one-line and multi-line text, that every gate applies it (case JSON,
// profiles, vouches, trust names) to input and to payloads from peers
// (checkPayload), and the terminal's view of hidden characters.
#include "protocol/text_rule.h"

#include <capnp/message.h>
#include <gtest/gtest.h>

#include "protocol/capnp_util.h"
#include "protocol/case_json.h"
#include "protocol/records.h"
#include "protocol/schema/allmenning.capnp.h"
#include "tests/test_util.h"

namespace allmenning {
namespace {

using rules::forbiddenCharacter;
using rules::TextForm;

TEST(TextRule, RefusesControlsBidiAndSeparatorsInOneLine) {
  struct Case {
    std::string text;
    char32_t first;
  };
  const std::vector<Case> cases = {
      {"ok\r\nstatus           completed", U'\r'},
      {"tab\there", U'\t'},
      {"del\x7f", 0x7F},
      {"csi \u009B2J", 0x9B},
      {"nel \u0085", 0x85},
      {"rlo \u202Egnirts", 0x202E},
      {"lre \u202A", 0x202A},
      {"lri \u2066 pdi \u2069", 0x2066},
      {"pdi \u2069", 0x2069},
      {"line \u2028 separator", 0x2028},
      {"paragraph \u2029", 0x2029},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.text);
    auto found = forbiddenCharacter(c.text, TextForm::kLine);
    ASSERT_TRUE(found.has_value());
    EXPECT_EQ(static_cast<unsigned>(*found), static_cast<unsigned>(c.first));
  }
  EXPECT_EQ(rules::describeCodePoint(0x202E), "bidi control character U+202E");
  EXPECT_EQ(rules::describeCodePoint(0x9B), "control character U+009B");
  EXPECT_EQ(rules::describeCodePoint(0x2028), "line separator U+2028");
}

TEST(TextRule, MultiLineTextKeepsLineBreaksButNotTheRest) {
  for (const std::string ok : {"a\r\nb\tc\n", "one\u2028two\u2029three", "Flom\u200Bvarsling"}) {
    EXPECT_FALSE(forbiddenCharacter(ok, TextForm::kMultiLine).has_value()) << ok;
  }
  auto first = [](std::string_view s) {
    return static_cast<unsigned>(forbiddenCharacter(s, TextForm::kMultiLine).value_or(0));
  };
  EXPECT_EQ(first("a\nb\u202Ec"), 0x202Eu);
  EXPECT_EQ(first("a\nb\u009Bc"), 0x9Bu);
  EXPECT_EQ(first("a\x1b[2J"), 0x1Bu);
  // Zero-width characters are text (a joiner is part of some words): a
  // terminal shows them escaped instead.
  EXPECT_FALSE(forbiddenCharacter("Flom\u200Dvarsling\uFEFF", TextForm::kLine).has_value());
  for (unsigned hidden : {0x200B, 0x200D, 0xFEFF, 0x2060, 0x00AD, 0x202E, 0x2028, 0x9B, 0x1B}) {
    EXPECT_TRUE(rules::isHiddenOnTerminal(hidden)) << std::hex << hidden;
  }
  for (unsigned visible : {0x61, 0xE5, 0x20, 0xA0, 0x2013, 0x1F600}) {
    EXPECT_FALSE(rules::isHiddenOnTerminal(visible)) << std::hex << visible;
  }
}

TEST(TextRule, ReplaceForbiddenKeepsWhatIsAllowed) {
  EXPECT_EQ(rules::replaceForbidden("a\u202Eb\nc\u009B", TextForm::kMultiLine), "a b\nc ");
  EXPECT_EQ(rules::replaceForbidden("a\nb\u2028c", TextForm::kLine), "a b c");
}

std::string caseWithTitle(const std::string& title) {
  auto doc = nlohmann::ordered_json::parse(testing::caseJson("c"));
  doc["title"] = title;
  return doc.dump();
}

TEST(TextRule, CaseFieldsFollowIt) {
  EXPECT_TRUE(caseFromJson(caseWithTitle("Flom\u200Bvarsling")).isOk());
  for (const auto& [title, rule] : std::vector<std::pair<std::string, std::string>>{
           {"Flom\u202Evarsling", "title: must not contain bidi control character U+202E"},
           {"Flom\u2028varsling", "title: must not contain line separator U+2028"},
           {"Flom\u2067varsling", "title: must not contain bidi control character U+2067"},
           {"Flom\u009Bvarsling", "title: must not contain control character U+009B"}}) {
    auto r = caseFromJson(caseWithTitle(title));
    ASSERT_FALSE(r.isOk()) << title;
    EXPECT_EQ(r.status().message(), rule);
  }
}

TEST(TextRule, ProfileVouchAndTrustNamesFollowIt) {
  for (const std::string bad :
       {"Bergen\u202E", "Bergen\u2066", "Bergen\u009B2J", "Bergen\u2028", "Bergen\r\nstatus"}) {
    SCOPED_TRACE(bad);
    Status p = checkProfile({bad, "", "4601"});
    EXPECT_EQ(p.code(), Status::Code::kInvalidInput);
    EXPECT_NE(p.message().find("name: must not contain "), std::string::npos) << p.message();
    Status v = checkVouch({PublicKey{1}, bad, "", "4601"});
    EXPECT_NE(v.message().find("name: must not contain "), std::string::npos) << v.message();
  }
  EXPECT_TRUE(checkProfile({"Bergen\u200B kommune", "", "4601"}).isOk());
}

// A peer's payloads are not trusted to have passed the sender's input
// checks: checkPayload applies the same rule.
TEST(TextRule, CheckPayloadAppliesItToPeerPayloads) {
  for (const std::string bad : {"Bergen\u202E kommune", "Bergen\u009B kommune", "B\u2029"}) {
    SCOPED_TRACE(bad);
    Status profile = checkPayload(Kind::kProfile, encodeProfile({bad, "", "4601"}));
    EXPECT_EQ(profile.code(), Status::Code::kCorruption);
    EXPECT_NE(profile.message().find("profile: name: must not contain"), std::string::npos)
        << profile.message();
    Status vouch = checkPayload(Kind::kVouch, encodeVouch({PublicKey{1}, bad, "", "4601"}));
    EXPECT_EQ(vouch.code(), Status::Code::kCorruption);
    capnp::MallocMessageBuilder message;
    auto n = message.initRoot<schema::Need>();
    n.setId("raw-need");
    n.setTitle(bad);
    n.setNeed("Behov");
    Status need = checkPayload(Kind::kNeed, canonicalBytes(n.asReader()));
    EXPECT_NE(need.message().find("title: must not contain"), std::string::npos) << need.message();
  }
}

TEST(TextRule, TheAllZeroKeyCannotBeVouchedFor) {
  Status st = checkVouch({PublicKey{}, "Ingen", "", "4601"});
  EXPECT_EQ(st.code(), Status::Code::kInvalidInput);
  EXPECT_NE(st.message().find("all-zero key"), std::string::npos) << st.message();
  EXPECT_EQ(checkPayload(Kind::kVouch, encodeVouch({PublicKey{}, "Ingen", "", "4601"})).code(),
            Status::Code::kCorruption);
}

}  // namespace
}  // namespace allmenning
