// How the CLI prints peer text and an author's standing (cli/show_text.h).
#include "cli/show_text.h"

#include <gtest/gtest.h>

namespace allmenning::cli {
namespace {

TEST(ShowText, EscapesEveryHiddenCharacterVisibly) {
  EXPECT_EQ(shown("Flom\u202Evarsling"), "Flom\\u202Evarsling");
  EXPECT_EQ(shown("Flom\u200Bvarsling\uFEFF"), "Flom\\u200Bvarsling\\uFEFF");
  EXPECT_EQ(shown("csi\u009B2J esc\x1b[2J"), "csi\\u009B2J esc\\u001B[2J");
  EXPECT_EQ(shown("a\u2028b\u2029c"), "a\\u2028b\\u2029c");
  EXPECT_EQ(shown("one\r\ntwo\ttab"), "one\\u000D\\u000Atwo\\u0009tab");
  EXPECT_EQ(shown("tag\U000E0041"), "tag\\U000E0041");
  EXPECT_EQ(shown(std::string("bad\xff")), "bad\\xFF");
  EXPECT_EQ(shown("Vågå kommune – ærlig 😀"), "Vågå kommune – ærlig 😀");
}

TEST(ShowText, MultiLineTextGoesOnIndentedUnderItsLabel) {
  const std::string indent(17, ' ');
  EXPECT_EQ(shownBlock("first\r\nstatus           completed", 17),
            "first\n" + indent + "status           completed");
  EXPECT_EQ(shownBlock("a\nb\tc", 4), "a\n    b\tc");
  // A lone CR would move the cursor back over the label: escaped.
  EXPECT_EQ(shownBlock("ok\rsummary  forged", 17), "ok\\u000Dsummary  forged");
  EXPECT_EQ(shownBlock("x\u2028y\u202E", 2), "x\\u2028y\\u202E");
}

TEST(ShowText, StandingReadsTheSameInEveryView) {
  Json row{{"author", std::string(64, 'a')},
           {"authorName", "Stryn kommune"},
           {"nameSource", "vouch"},
           {"profileName", "Bergen\u202E kommune"},
           {"nameDiffers", true},
           {"trust", "vouched"},
           {"vouchedBy",
            {{{"key", std::string(64, 'b')},
              {"name", "Sogn hub"},
              {"as", "Stryn kommune"},
              {"kommunenummer", "4651"}}}}};
  EXPECT_EQ(whoText(row),
            "Stryn kommune (vouched by Sogn hub) [its profile says \"Bergen\\u202E kommune\"]");
  EXPECT_EQ(trustText(row, Detail::kFull),
            "vouched for by Sogn hub as \"Stryn kommune\", kommunenummer 4651");
  row["trust"] = "not trusted";
  row["vouchedBy"] = Json::array();
  EXPECT_EQ(trustText(row, Detail::kShort), "not trusted");
  row["authorName"] = nullptr;
  row["nameDiffers"] = false;
  EXPECT_EQ(whoText(row), std::string(16, 'a') + " (not trusted)");
  for (const char* t : {"self", "trusted", "distrusted", "frozen"}) {
    row["trust"] = t;
    EXPECT_FALSE(trustText(row, Detail::kShort).empty());
    EXPECT_EQ(trustText(row, Detail::kFull).find("vouched"), std::string::npos) << t;
  }
}

}  // namespace
}  // namespace allmenning::cli
