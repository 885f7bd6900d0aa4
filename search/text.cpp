#include "search/text.h"

#include <xapian.h>

#include <algorithm>
#include <iterator>

#include "search/letters.h"

namespace allmenning::search {
namespace {

// Byte offsets of each character start in `s`, plus s.size() at the end.
std::vector<size_t> charStarts(const std::string& s) {
  std::vector<size_t> out;
  for (Xapian::Utf8Iterator it(s); it != Xapian::Utf8Iterator(); ++it) {
    out.push_back(static_cast<size_t>(it.raw() - s.data()));
  }
  out.push_back(s.size());
  return out;
}

// Function words too common to narrow a query, or to say why two texts
// are alike.
constexpr std::string_view kStopwords[] = {
    "alle",  "andre", "av",    "bare", "ble",   "bli",   "blir",   "da",    "de",    "dem",  "den",
    "denne", "der",   "deres", "det",  "dette", "disse", "du",     "ei",    "eller", "en",   "enn",
    "er",    "et",    "etter", "for",  "fra",   "få",    "gjerne", "har",   "hva",   "hver", "hvor",
    "hun",   "i",     "ikke",  "jeg",  "kan",   "kunne", "man",    "med",   "men",   "mer",  "mot",
    "mye",   "må",    "noe",   "noen", "nå",    "når",   "og",     "også",  "om",    "over", "på",
    "seg",   "sin",   "skal",  "slik", "som",   "så",    "til",    "under", "uten",  "var",  "ved",
    "vi",    "vil",   "ville", "vår",  "våre",  "vårt",  "å",      "ønsker"};

}  // namespace

std::vector<Word> words(std::string_view text) {
  std::vector<Word> out;
  const char* base = text.data();
  Xapian::Utf8Iterator it(base, text.size()), end;
  while (it != end) {
    while (it != end && !Xapian::Unicode::is_wordchar(*it)) ++it;
    if (it == end) break;
    Word w;
    w.begin = static_cast<size_t>(it.raw() - base);
    while (it != end && Xapian::Unicode::is_wordchar(*it)) {
      Xapian::Unicode::append_utf8(w.lower, Xapian::Unicode::tolower(*it));
      ++it;
    }
    w.lower = nfc(w.lower);  // a letter and its combining mark become one
    w.end = it == end ? text.size() : static_cast<size_t>(it.raw() - base);
    out.push_back(std::move(w));
  }
  return out;
}

// Snowball leaves the doubled consonant of an inflected short word
// ("flommen" -> "flomm", "flom" -> "flom"); one of the pair is dropped so
// both meet.
std::string stem(const std::string& lowerWord) {
  static const Xapian::Stem stemmer("norwegian");
  std::string s = stemmer(lowerWord);
  size_t n = s.size();
  if (n >= 3 && s[n - 1] == s[n - 2] &&
      std::string_view("bdfgklmnprstv").find(s[n - 1]) != std::string_view::npos) {
    s.pop_back();
  }
  return s;
}

std::vector<std::string> compoundHeads(const std::string& stemmed) {
  std::vector<size_t> starts = charStarts(stemmed);
  size_t chars = starts.size() - 1;
  std::vector<std::string> out;
  if (chars < kMinCompoundChars) return out;
  for (size_t i = kMinModifierChars; i + kMinHeadChars <= chars; ++i) {
    out.push_back(stemmed.substr(starts[i]));
  }
  return out;
}

bool isStopword(const std::string& lowerWord) {
  return std::find(std::begin(kStopwords), std::end(kStopwords), lowerWord) != std::end(kStopwords);
}

std::vector<std::string> queryWords(std::string_view text) {
  std::vector<Word> all = words(text);
  std::vector<std::string> out;
  for (const Word& w : all) {
    if (!isStopword(w.lower)) out.push_back(w.lower);
  }
  if (out.empty()) {
    for (const Word& w : all) out.push_back(w.lower);
  }
  return out;
}

std::vector<std::string> queryStems(std::string_view text) {
  std::vector<std::string> out;
  for (const std::string& w : queryWords(text)) out.push_back(stem(w));
  return out;
}

bool containsEvery(std::string_view text, const std::vector<std::string>& stems) {
  std::vector<std::string> held;
  for (const Word& w : words(text)) {
    held.push_back(stem(w.lower));
    for (std::string& head : compoundHeads(held.back())) held.push_back(std::move(head));
  }
  return std::all_of(stems.begin(), stems.end(), [&](const std::string& s) {
    return std::find(held.begin(), held.end(), s) != held.end();
  });
}

std::string snippet(std::string_view text, const std::function<bool(const Word&)>& hit,
                    size_t maxChars) {
  std::vector<Word> all = words(text);
  auto first = std::find_if(all.begin(), all.end(), hit);
  if (first == all.end()) return {};
  // Start a few words before the hit, at a word boundary.
  auto from = first - std::min<ptrdiff_t>(first - all.begin(), 4);
  size_t begin = from->begin;
  std::string out = begin > 0 ? "..." : "";
  size_t at = begin;
  auto w = from;
  for (; w != all.end() && (w == from || w->end - begin <= maxChars); ++w) {
    out.append(text.substr(at, w->begin - at));
    bool marked = hit(*w);
    if (marked) out += '[';
    out.append(text.substr(w->begin, w->end - w->begin));
    if (marked) out += ']';
    at = w->end;
  }
  // The text's own closing punctuation stays; a cut is marked.
  out.append(w == all.end() ? text.substr(at) : std::string_view("..."));
  return out;
}

}  // namespace allmenning::search
