// Words, stems, compound heads and snippets: the pure half of search.
#include "search/text.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace allmenning::search {
namespace {

std::vector<std::string> lowers(std::string_view text) {
  std::vector<std::string> out;
  for (const Word& w : words(text)) out.push_back(w.lower);
  return out;
}

bool hasHead(const std::string& word, const std::string& head) {
  auto heads = compoundHeads(stem(word));
  return std::find(heads.begin(), heads.end(), stem(head)) != heads.end();
}

TEST(SearchText, WordsAreLowercasedLettersAndDigitsWithOffsets) {
  EXPECT_EQ(
      lowers("Oslo-skolene: 200 SKOLER, Ålesund og Tromsø!"),
      (std::vector<std::string>{"oslo", "skolene", "200", "skoler", "ålesund", "og", "tromsø"}));
  std::string text = "  Snøskred ved Lom";
  auto w = words(text);
  ASSERT_EQ(w.size(), 3u);
  EXPECT_EQ(text.substr(w[0].begin, w[0].end - w[0].begin), "Snøskred");
  EXPECT_EQ(w[2].end, text.size());
  EXPECT_TRUE(words(" ,.- ").empty());
}

TEST(SearchText, InflectionsShareAStem) {
  EXPECT_EQ(stem("tunnelen"), stem("tunneler"));
  EXPECT_EQ(stem("skolene"), stem("skoler"));
  EXPECT_EQ(stem("anskaffelsen"), stem("anskaffelse"));
  EXPECT_EQ(stem("varslingen"), stem("varsling"));
  EXPECT_EQ(stem("flommen"), stem("flom"));  // the doubled consonant is dropped
  EXPECT_EQ(stem("bussene"), stem("buss"));
  EXPECT_NE(stem("skole"), stem("skred"));
}

TEST(SearchText, CompoundsYieldTheirHeads) {
  EXPECT_TRUE(hasHead("flomvarsling", "varsling"));
  EXPECT_TRUE(hasHead("snøskredvarsling", "varsling"));
  EXPECT_TRUE(hasHead("snøskredvarsling", "skredvarsling"));
  EXPECT_TRUE(hasHead("flomvarslingen", "varslingen"));
  EXPECT_TRUE(hasHead("byggematerialer", "materialer"));
  // The modifier is not a head, and short words are not split.
  EXPECT_FALSE(hasHead("flomvarsling", "flom"));
  EXPECT_TRUE(compoundHeads(stem("skolene")).empty());
  // Heads are counted in characters: "snø" is three, so "skredvarsling" is
  // the longest head of "snøskredvarsling".
  EXPECT_EQ(compoundHeads(stem("snøskredvarsling")).front(), "skredvarsling");
}

TEST(SearchText, StopwordsAreTheSmallFunctionWords) {
  EXPECT_TRUE(isStopword("og"));
  EXPECT_TRUE(isStopword("på"));
  EXPECT_FALSE(isStopword("flom"));
}

TEST(SearchText, SnippetMarksHitsAroundTheFirstOne) {
  auto isFlom = [](const Word& w) { return stem(w.lower) == stem("flommer"); };
  EXPECT_EQ(snippet("Varsler før flommen kommer.", isFlom), "Varsler før [flommen] kommer.");
  std::string longText(300, 'x');
  longText = "En flommen. " + longText + " flommen igjen";
  std::string s = snippet(longText, isFlom, 40);
  EXPECT_EQ(s, "En [flommen]...");
  EXPECT_EQ(snippet("ingenting her", isFlom), "");
  std::string late = "a b c d e f g h flommer";
  EXPECT_EQ(snippet(late, isFlom), "...e f g h [flommer]");
}

}  // namespace
}  // namespace allmenning::search
