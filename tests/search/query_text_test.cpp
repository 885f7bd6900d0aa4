// Words, "phrases" and -excluded words of a query (search/query_text.h).
#include "search/query_text.h"

#include <gtest/gtest.h>

namespace allmenning::search {
namespace {

std::vector<std::string> shownParts(const QueryText& q) {
  std::vector<std::string> out;
  for (const QueryPart& p : q.parts) out.push_back(p.shown);
  return out;
}

TEST(SearchQueryText, WordsPhrasesAndExclusions) {
  QueryText q = parseQuery("Flomvarsling i \"små vassdrag\" -drift");
  EXPECT_EQ(shownParts(q), (std::vector<std::string>{"flomvarsling", "\"små vassdrag\""}));
  EXPECT_TRUE(q.parts[1].phrase);
  EXPECT_EQ(q.parts[1].words, (std::vector<std::string>{"små", "vassdrag"}));
  EXPECT_EQ(q.excluded, std::vector<std::string>{"drift"});
}

TEST(SearchQueryText, AHyphenInsideAWordExcludesNothing) {
  QueryText q = parseQuery("Nord-Gudbrandsdal -snøskred");
  EXPECT_EQ(shownParts(q), (std::vector<std::string>{"nord", "gudbrandsdal"}));
  EXPECT_EQ(q.excluded, std::vector<std::string>{"snøskred"});
}

TEST(SearchQueryText, StopwordsStayInPhrasesAndWhenNothingElseIsLeft) {
  EXPECT_EQ(shownParts(parseQuery("\"pleie og omsorg\"")),
            std::vector<std::string>{"\"pleie og omsorg\""});
  EXPECT_EQ(shownParts(parseQuery("og i")), (std::vector<std::string>{"og", "i"}));
  EXPECT_EQ(shownParts(parseQuery("\"flom")), std::vector<std::string>{"flom"}) << "unclosed";
  EXPECT_TRUE(parseQuery("\"\" -").parts.empty());
}

}  // namespace
}  // namespace allmenning::search
