// What a search query asks for: words, "quoted phrases" and -excluded words.
//
//   flomvarsling "små vassdrag" -drift
//
// asks for cases with "flomvarsling" and the phrase "små vassdrag", and
// without "drift". Each word and each phrase is a *part*: a case that holds
// every part is a full match, one that holds only some is a partial match
// (ranked below every full one, see SearchIndex::query). A "-" counts only
// at the start of a word ("nord-norge" is two words); an unclosed quote runs
// to the end of the query. Stopwords are left out of the loose words (unless
// that leaves no part), never out of a phrase.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace allmenning::search {

struct QueryPart {
  std::vector<std::string> words;  // lowercased; more than one for a phrase
  bool phrase = false;
  std::string shown;  // as the answer names it: the word, or "the phrase"
};

struct QueryText {
  std::vector<QueryPart> parts;       // what a case should hold
  std::vector<std::string> excluded;  // lowercased words a case must not hold
};

QueryText parseQuery(std::string_view text);

}  // namespace allmenning::search
