#include "search/query_text.h"

#include "search/text.h"

namespace allmenning::search {
namespace {

// The loose words of `segment`, with a "-" right before a word (at the
// segment's start or after a space) marking it excluded.
void addLoose(std::string_view segment, QueryText& q, std::vector<QueryPart>& loose) {
  for (const Word& w : words(segment)) {
    bool minus = w.begin > 0 && segment[w.begin - 1] == '-' &&
                 (w.begin == 1 || segment[w.begin - 2] == ' ' || segment[w.begin - 2] == '\t');
    if (minus) {
      q.excluded.push_back(w.lower);
    } else {
      loose.push_back({{w.lower}, false, w.lower});
    }
  }
}

}  // namespace

QueryText parseQuery(std::string_view text) {
  QueryText q;
  std::vector<QueryPart> loose, phrases;
  size_t at = 0;
  bool inQuote = false;
  while (at <= text.size()) {
    size_t quote = text.find('"', at);
    std::string_view segment =
        text.substr(at, quote == std::string_view::npos ? quote : quote - at);
    if (inQuote) {
      QueryPart p{{}, true, {}};
      for (const Word& w : words(segment)) p.words.push_back(w.lower);
      for (const std::string& w : p.words) p.shown += (p.shown.empty() ? "" : " ") + w;
      p.shown = "\"" + p.shown + "\"";
      if (p.words.size() == 1) p = {p.words, false, p.words[0]};
      if (!p.words.empty()) phrases.push_back(std::move(p));
    } else {
      addLoose(segment, q, loose);
    }
    if (quote == std::string_view::npos) break;
    inQuote = !inQuote;
    at = quote + 1;
  }
  // Stopwords leave the loose words unless nothing else is asked for.
  bool others = !phrases.empty();
  for (const QueryPart& p : loose) others = others || !isStopword(p.words[0]);
  for (QueryPart& p : loose) {
    if (!others || !isStopword(p.words[0])) q.parts.push_back(std::move(p));
  }
  for (QueryPart& p : phrases) q.parts.push_back(std::move(p));
  return q;
}

}  // namespace allmenning::search
