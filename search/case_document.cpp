#include "search/case_document.h"

#include <algorithm>
#include <ctime>

#include "protocol/bytes.h"
#include "search/letters.h"
#include "search/text.h"

namespace allmenning::search {
namespace {

using Json = nlohmann::ordered_json;

// Searched fields and the weight of each occurrence of a word in them. A
// title word counts six times a word deep in the lessons learned; BM25's
// saturation keeps a long text from winning by repetition alone.
struct Field {
  const char* name;
  Xapian::termcount weight;
};
constexpr Field kTextFields[] = {{"title", 6},          {"tags", 3},     {"summary", 2},
                                 {"need", 2},           {"solution", 2}, {"results", 1},
                                 {"lessons_learned", 1}};
constexpr Xapian::termcount kPartyWeight = 2;  // buyer and supplier names

// Xapian refuses terms over 245 bytes, and no Norwegian word comes near
// this; a longer run of letters in someone's text is skipped, not allowed to
// make the whole case unindexable.
constexpr size_t kMaxWordBytes = 100;
// Shorter words are not offered as spellings: too many are one edit apart.
constexpr size_t kMinSpellingBytes = 4;

// Stems carry their positions, for phrase queries; each text starts
// kFieldGap positions after the last, so no phrase spans two fields.
constexpr Xapian::termpos kFieldGap = 100;

void indexText(Xapian::Document& doc, const std::string& text, Xapian::termcount weight,
               Xapian::termpos& pos) {
  pos += kFieldGap;
  for (const Word& w : words(text)) {
    ++pos;
    if (w.lower.size() > kMaxWordBytes) continue;
    std::vector<std::string> terms = wordTerms(w.lower);
    doc.add_posting(terms[0], pos, weight);
    for (size_t i = 1; i < terms.size(); ++i) doc.add_term(terms[i], weight);
    if (w.lower.size() >= kMinSpellingBytes) doc.add_boolean_term(kWord + w.lower);
  }
}

// A string field, or the strings of a list field, joined.
std::string textOf(const Json& record, const char* field) {
  auto it = record.find(field);
  if (it == record.end()) return {};
  if (it->is_string()) return it->get<std::string>();
  std::string out;
  if (it->is_array()) {
    for (const auto& v : *it) {
      if (v.is_string()) out += v.get<std::string>() + "\n";
    }
  }
  return out;
}

void indexParties(Xapian::Document& doc, const Json& record, const char* field,
                  Xapian::termpos& pos) {
  auto it = record.find(field);
  if (it == record.end() || !it->is_array()) return;
  for (const auto& party : *it) {
    if (party.contains("name")) indexText(doc, party["name"].get<std::string>(), kPartyWeight, pos);
    if (party.contains("kommunenummer")) {
      doc.add_boolean_term(kKommuneTerm + party["kommunenummer"].get<std::string>());
    }
  }
}

void addFilterTerms(Xapian::Document& doc, const CaseKey& key, const Json& record,
                    int64_t timestampMs) {
  doc.add_boolean_term(kAuthorTerm + toHex(key.author));
  const std::pair<const char*, const char*> codes[] = {
      {"procedure", kProcedureTerm}, {"sector", kSectorTerm}, {"status", kStatusTerm}};
  for (const auto& [field, prefix] : codes) {
    if (record.contains(field)) doc.add_boolean_term(prefix + record[field].get<std::string>());
  }
  if (record.contains("cpv")) {
    for (const auto& code : record["cpv"]) {
      std::string c = code.get<std::string>();
      for (size_t n = 1; n <= c.size(); ++n) doc.add_boolean_term(kCpvTerm + c.substr(0, n));
    }
  }
  YearSpan years = caseYears(record, timestampMs);
  doc.add_value(kFirstYearSlot, Xapian::sortable_serialise(years.first));
  doc.add_value(kLastYearSlot, Xapian::sortable_serialise(years.last));
}

std::optional<int> yearOf(const Json& record, const char* field) {
  auto it = record.find(field);
  if (it == record.end() || !it->is_string() || it->get<std::string>().size() < 4) {
    return std::nullopt;
  }
  return std::stoi(it->get<std::string>().substr(0, 4));  // dates are checked YYYY-MM-DD
}

}  // namespace

std::string caseKeyText(const CaseKey& key) { return toHex(key.author) + "/" + key.id; }

std::optional<CaseKey> parseCaseKeyText(const std::string& text) {
  if (text.size() < 66 || text[64] != '/') return std::nullopt;
  auto author = fromHexFixed<32>(text.substr(0, 64));
  if (!author) return std::nullopt;
  return CaseKey{*author, text.substr(65)};
}

YearSpan caseYears(const Json& record, int64_t timestampMs) {
  std::optional<int> from = yearOf(record, "started");
  std::optional<int> to = yearOf(record, "ended");
  if (from && !to) return {*from, kRunningYear};
  if (!from && !to) {
    std::time_t t = static_cast<std::time_t>(timestampMs / 1000);
    std::tm utc{};
    gmtime_r(&t, &utc);
    from = utc.tm_year + 1900;
  }
  int first = from.value_or(*to);
  return {first, std::max(first, to.value_or(first))};
}

std::vector<std::string> wordTerms(const std::string& lowerWord) {
  std::string s = stem(lowerWord);
  std::vector<std::string> out{kStem + s};
  for (const std::string& head : compoundHeads(s)) out.push_back(kHead + head);
  for (const std::string& f : foldings(lowerWord)) out.push_back(kFolded + stem(f));
  return out;
}

Xapian::Document caseDocument(const CaseKey& key, const Json& record, int64_t timestampMs) {
  Xapian::Document doc;
  std::string keyText = caseKeyText(key);
  doc.set_data(keyText);
  doc.add_boolean_term(kIdTerm + keyText);
  doc.add_value(kKeySlot, keyText);
  doc.add_value(kUpdatedSlot, Xapian::sortable_serialise(static_cast<double>(timestampMs)));
  Xapian::termpos pos = 0;
  for (const Field& f : kTextFields) indexText(doc, textOf(record, f.name), f.weight, pos);
  indexParties(doc, record, "buyers", pos);
  indexParties(doc, record, "suppliers", pos);
  addFilterTerms(doc, key, record, timestampMs);
  return doc;
}

std::vector<std::string> snippetFields(const Json& record) {
  std::vector<std::string> out;
  for (const char* f : {"summary", "need", "solution", "results", "lessons_learned", "title"}) {
    std::string t = textOf(record, f);
    if (!t.empty()) out.push_back(std::move(t));
  }
  return out;
}

}  // namespace allmenning::search
