// NFC and the ASCII stand-ins of æ, ø and å (search/letters.h).
#include "search/letters.h"

#include <gtest/gtest.h>

#include "search/text.h"

namespace allmenning::search {
namespace {

TEST(SearchLetters, NfcJoinsALetterAndItsCombiningMark) {
  // "Skjåk" and "Ålesund" with "a" + U+030A COMBINING RING ABOVE, as some
  // programs write them. (Unicode has no decomposition of ø or æ.)
  EXPECT_EQ(nfc("Skja\xcc\x8ak"), "Skjåk");
  EXPECT_EQ(nfc("flomvarsling"), "flomvarsling");
  ASSERT_EQ(words("Skja\xcc\x8ak kommune").size(), 2u);
  EXPECT_EQ(words("Skja\xcc\x8ak kommune")[0].lower, "skjåk");
  EXPECT_EQ(stem(words("SKJA\xcc\x8aK")[0].lower), stem("skjåk"));
  EXPECT_EQ(queryStems("A\xcc\x8alesund"), queryStems("Ålesund"));
}

TEST(SearchLetters, FoldingsAreTheDigraphAndTheSingleLetterSpelling) {
  EXPECT_EQ(foldings("snøskred"), (std::vector<std::string>{"snoeskred", "snoskred"}));
  EXPECT_EQ(foldings("skjåk"), (std::vector<std::string>{"skjaak", "skjak"}));
  EXPECT_EQ(foldings("tromsø"), (std::vector<std::string>{"tromsoe", "tromso"}));
  EXPECT_EQ(foldings("næringsliv"), (std::vector<std::string>{"naeringsliv", "naringsliv"}));
  EXPECT_EQ(foldings("vågå"), (std::vector<std::string>{"vaagaa", "vaga"}));
  EXPECT_TRUE(foldings("flomvarsling").empty());
}

}  // namespace
}  // namespace allmenning::search
