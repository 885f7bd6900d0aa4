// Norwegian text for the search index: words, stems, compound heads,
// stopwords and highlighted snippets. Pure functions, no index.
//
// Compounds. Norwegian writes compounds as one word ("flomvarsling",
// "snøskredvarsling"), and the last part, the head, says what the thing is.
// Every stem of a long word also yields its *heads*: each ending of the stem
// that is at least kMinHeadChars long and leaves at least kMinModifierChars
// in front. "snøskredvarsling" gives "skredvarsling", "kredvarsling", ...,
// "varsling", ..., "ling". A query for "varsling" then finds the
// compound. Most endings are not words: they cost index space and match only
// a query word that happens to spell them. Heads have their own term prefix
// and weigh half a whole word at query time, so whole-word matches rank first.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace allmenning::search {

constexpr size_t kMinHeadChars = 4;      // in characters, not bytes
constexpr size_t kMinModifierChars = 3;  // what must stay in front of a head
constexpr size_t kMinCompoundChars = 8;  // shorter words are not split

struct Word {
  std::string lower;  // lowercased UTF-8
  size_t begin = 0;   // byte offsets in the original text
  size_t end = 0;
};

// Words of `text` in order: runs of letters and digits, lowercased, in
// Unicode NFC (letters.h).
std::vector<Word> words(std::string_view text);

// The Norwegian Snowball stem of a lowercased word, without a final doubled
// consonant.
std::string stem(const std::string& lowerWord);

// The heads of a stem (see above), longest first; empty for short stems.
std::vector<std::string> compoundHeads(const std::string& stemmed);

// True for the small words a query leaves out ("og", "i", "på", ...).
bool isStopword(const std::string& lowerWord);

// The words a query for `text` asks for, lowercased: every word but the
// stopwords, unless that leaves none.
std::vector<std::string> queryWords(std::string_view text);

// The stems of queryWords(text).
std::vector<std::string> queryStems(std::string_view text);

// Whether `text` holds every word of a query (`stems`, from queryStems) as
// a word or as the head of a compound, the rule the index matches cases by.
bool containsEvery(std::string_view text, const std::vector<std::string>& stems);

// Up to about `maxChars` of `text` around the first word for which `hit` is
// true, with every such word in the window wrapped in [ and ]. Empty when no
// word matches.
std::string snippet(std::string_view text, const std::function<bool(const Word&)>& hit,
                    size_t maxChars = 160);

}  // namespace allmenning::search
