#include "storage/index_terms.h"

#include <algorithm>

#include "protocol/case_json.h"
#include "storage/keys.h"

namespace allmenning {

Result<IndexTerms> indexTermsOf(ByteView casePayload) {
  auto json = decodeCase(casePayload);
  if (!json.isOk()) return json.status();
  const auto& j = *json;
  IndexTerms t;
  auto str = [&](const char* key) {
    return j.contains(key) ? j[key].template get<std::string>() : std::string();
  };
  t.procedure = str("procedure");
  t.sector = str("sector");
  t.status = str("status");
  if (j.contains("cpv")) {
    for (const auto& c : j["cpv"]) t.cpv.push_back(c.template get<std::string>());
  }
  if (j.contains("buyers")) {
    for (const auto& b : j["buyers"]) {
      if (b.contains("kommunenummer")) t.kommune.push_back(b["kommunenummer"]);
    }
  }
  std::sort(t.kommune.begin(), t.kommune.end());
  t.kommune.erase(std::unique(t.kommune.begin(), t.kommune.end()), t.kommune.end());
  return t;
}

std::vector<std::pair<IndexFamily, std::string>> indexKeys(const PublicKey& author,
                                                           const std::string& id,
                                                           const IndexTerms& t) {
  std::vector<std::pair<IndexFamily, std::string>> out;
  auto add = [&](IndexFamily f, const std::string& value) {
    if (!value.empty()) out.emplace_back(f, keys::index(value, author, id));
  };
  for (const auto& c : t.cpv) add(IndexFamily::kCpv, c);
  for (const auto& k : t.kommune) add(IndexFamily::kKommune, k);
  add(IndexFamily::kProcedure, t.procedure);
  add(IndexFamily::kSector, t.sector);
  add(IndexFamily::kStatus, t.status);
  return out;
}

}  // namespace allmenning
