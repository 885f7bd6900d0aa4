// need match: which cases answer a described need, and why.
//
// Candidates come from the search index: cases sharing any word of the
// need's title and text (stems and compound heads), or the first two digits
// of any of its CPV codes. Each is scored
//
//   0.55 text + 0.25 cpv + 0.15 sector + 0.05 procedure
//
// text: the case's BM25 weight over the best candidate's (0..1);
// cpv: the longest common prefix of a need code and a case code, in digits
// over 8, counted from 2 digits (a CPV division) up;
// sector, procedure: 1 when the need names the same.
#include <algorithm>
#include <map>

#include "node/node.h"
#include "search/search_index.h"

namespace allmenning {
namespace {

constexpr size_t kCandidates = 200;
constexpr double kText = 0.55, kCpv = 0.25, kSector = 0.15, kProcedure = 0.05;

std::vector<std::string> codes(const Json& record) {
  std::vector<std::string> out;
  if (record.contains("cpv")) {
    for (const auto& c : record["cpv"]) out.push_back(c.get<std::string>());
  }
  return out;
}

// Digits two CPV codes share from the start (the check digit excluded).
size_t sharedDigits(const std::string& a, const std::string& b) {
  size_t n = 0;
  while (n < 8 && n < a.size() && n < b.size() && a[n] == b[n]) ++n;
  return n;
}

// The best shared CPV prefix of the need and the case, as JSON, or null.
Json sharedCpv(const std::vector<std::string>& need, const std::vector<std::string>& found) {
  Json best = nullptr;
  size_t bestDigits = 1;  // fewer than 2 digits is no relation
  for (const auto& a : need) {
    for (const auto& b : found) {
      size_t d = sharedDigits(a, b);
      if (d > bestDigits) {
        bestDigits = d;
        best = {{"need", a}, {"case", b}, {"digits", d}};
      }
    }
  }
  return best;
}

bool same(const Json& need, const Json& found, const char* field) {
  return need.contains(field) && found.contains(field) && need[field] == found[field];
}

// The need's own words for the stems a case matched, in the need's order.
std::vector<std::string> needWords(const std::string& text, const std::vector<std::string>& stems) {
  std::vector<std::string> out;
  for (const auto& w : search::words(text)) {
    std::string s = search::stem(w.lower);
    bool hit = std::find(stems.begin(), stems.end(), s) != stems.end();
    if (hit && std::find(out.begin(), out.end(), w.lower) == out.end()) out.push_back(w.lower);
  }
  return out;
}

}  // namespace

Result<Json> Node::matchNeed(const Json& need, size_t limit) {
  std::string text = need.value("title", std::string()) + "\n" + need.value("need", std::string());
  std::vector<std::string> needCodes = codes(need), divisions;
  for (const auto& c : needCodes) divisions.push_back(c.substr(0, 2));
  Result<std::vector<search::Similar>> found = std::vector<search::Similar>{};
  {
    std::lock_guard lock(indexMu_);
    ALM_RETURN_IF_ERROR(useIndexLocked([&] {
      found = index_->similar(text, divisions, kCandidates);
      return found.status();
    }));
  }
  double top = 0;
  for (const auto& s : *found) top = std::max(top, s.weight);
  std::vector<std::pair<double, Json>> scored;
  for (const auto& s : *found) {
    Json record;
    auto row = searchRow(s.key, "", &record);
    if (!row.isOk()) return row.status();
    Json cpv = sharedCpv(needCodes, codes(record));
    double textPart = top > 0 ? s.weight / top : 0;
    double cpvPart = cpv.is_null() ? 0 : cpv["digits"].get<double>() / 8;
    bool sector = same(need, record, "sector"), procedure = same(need, record, "procedure");
    double score = kText * textPart + kCpv * cpvPart + kSector * sector + kProcedure * procedure;
    (*row)["score"] = score;
    (*row)["why"] = {{"words", needWords(text, s.terms)},
                     {"cpv", cpv},
                     {"sector", sector ? record["sector"] : Json(nullptr)},
                     {"procedure", procedure ? record["procedure"] : Json(nullptr)}};
    scored.emplace_back(score, std::move(*row));
  }
  std::stable_sort(scored.begin(), scored.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });
  Json rows = Json::array();
  for (size_t i = 0; i < scored.size() && i < limit; ++i)
    rows.push_back(std::move(scored[i].second));
  return rows;
}

}  // namespace allmenning
