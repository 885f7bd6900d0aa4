// How a case becomes a Xapian document: which fields are searched and how
// much each weighs, and the boolean terms the filters use.
#pragma once

#include <xapian.h>

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "storage/store.h"

namespace allmenning::search {

// Term prefixes. Stems and heads are what text queries match; the X* terms
// are boolean filters and carry no weight.
inline constexpr char kStem[] = "Z";
inline constexpr char kHead[] = "H";
inline constexpr char kWord[] = "W";    // each word as written, for the spelling list
inline constexpr char kFolded[] = "F";  // stems of the ASCII spellings of æ/ø/å words
inline constexpr char kIdTerm[] = "Q";
inline constexpr char kAuthorTerm[] = "XA";
inline constexpr char kCpvTerm[] = "XC";  // every prefix of every CPV code
inline constexpr char kProcedureTerm[] = "XP";
inline constexpr char kSectorTerm[] = "XS";
inline constexpr char kStatusTerm[] = "XT";
inline constexpr char kKommuneTerm[] = "XK";
// Value slot holding "<author hex>/<id>", the tie-break between equal scores.
inline constexpr Xapian::valueno kKeySlot = 0;
// Value slot holding the version's timestamp (sortable), for queries
// without words: most recent first.
inline constexpr Xapian::valueno kUpdatedSlot = 1;
// Value slots holding the first and the last year a case ran in (sortable),
// for --year. A case still running has kRunningYear as its last.
inline constexpr Xapian::valueno kFirstYearSlot = 2;
inline constexpr Xapian::valueno kLastYearSlot = 3;
inline constexpr int kRunningYear = 999999;

// "<author hex>/<id>": the unique term's suffix, the document data, the
// tie-break value.
std::string caseKeyText(const CaseKey& key);
std::optional<CaseKey> parseCaseKeyText(const std::string& text);

// The years a case ran in, for --year: from `started` to `ended`; with
// `started` alone, every year from it on (the case is still running,
// `last` is kRunningYear); with `ended` alone, that year; with neither,
// the year of `timestampMs` (when the version was published).
struct YearSpan {
  int first = 0;
  int last = 0;
};
YearSpan caseYears(const nlohmann::ordered_json& record, int64_t timestampMs);

// The terms a case holds for one lowercased word of its text: first its
// stem (indexed with the word's position), then the heads of that stem and
// the stems of the word's æ/ø/å foldings. The index and the highlighter
// both ask this, so a word is marked exactly when the index matched it.
std::vector<std::string> wordTerms(const std::string& lowerWord);

// The document of one version of a case.
Xapian::Document caseDocument(const CaseKey& key, const nlohmann::ordered_json& record,
                              int64_t timestampMs);

// The text of the fields a snippet is taken from, most telling first.
std::vector<std::string> snippetFields(const nlohmann::ordered_json& record);

}  // namespace allmenning::search
