// OCDS release -> case record. Foreign releases (a Doffin export, say) carry
// only standard fields; ours also carry the extension object.
#include <algorithm>
#include <map>
#include <set>

#include "protocol/case_rules.h"
#include "protocol/ocds.h"

namespace allmenning::ocds {
namespace {

const std::map<std::string, std::string> kProcedureOf = {{"open", "open"},
                                                         {"selective", "restricted"},
                                                         {"limited", "negotiated"},
                                                         {"direct", "negotiated"}};
const std::map<std::string, std::string> kCaseStatusOf = {
    {"planning", "planning"},  {"planned", "planning"},    {"active", "tendering"},
    {"complete", "completed"}, {"cancelled", "cancelled"}, {"withdrawn", "cancelled"},
    {"unsuccessful", "failed"}};

// Lists are read this far at most: a record holds at most 100 documents and
// 50 parties or codes, and a hostile package must not cost more.
constexpr size_t kMaxScanned = 1000;

const Json& member(const Json& j, const char* key) {
  static const Json none;
  if (!j.is_object()) return none;
  auto it = j.find(key);
  return it == j.end() ? none : *it;
}

std::string text(const Json& j, const char* key) {
  const Json& v = member(j, key);
  return v.is_string() ? v.get<std::string>() : std::string();
}

// The list `key` of `j`, or an empty one.
const Json& list(const Json& j, const char* key) {
  static const Json none = Json::array();
  const Json& v = member(j, key);
  return v.is_array() ? v : none;
}

// Awards and contracts that no longer count.
bool isDropped(const std::string& status) {
  return status == "cancelled" || status == "unsuccessful" || status == "pending";
}

bool hasRole(const Json& party, const char* role) {
  const Json& roles = member(party, "roles");
  return roles.is_array() && std::find(roles.begin(), roles.end(), Json(role)) != roles.end();
}

// One party as a case party: name, orgnr from a NO-BRC identifier, and for
// buyers the kommunenummer and role kept in details.
Json casePartyOf(const Json& party, bool buyer, const std::string& leadId) {
  Json p{{"name", member(party, "name")}};
  const Json& id = member(party, "identifier");
  if (text(id, "scheme") == "NO-BRC" && !text(id, "id").empty()) p["orgnr"] = text(id, "id");
  if (!buyer) return p;
  const Json& details = member(party, "details");
  if (member(details, "kommunenummer").is_string()) p["kommunenummer"] = details["kommunenummer"];
  if (member(details, "role").is_string()) {
    p["role"] = details["role"];
  } else {
    p["role"] = text(party, "id") == leadId ? "lead" : "participant";
  }
  return p;
}

// Party ids named in the awards' supplier lists, for suppliers that a
// publisher lists only there.
void addAwardSuppliers(const Json& release, Json& suppliers, std::set<std::string>& seen) {
  size_t scanned = 0;
  for (const Json& award : list(release, "awards")) {
    if (isDropped(text(award, "status"))) continue;
    for (const Json& s : list(award, "suppliers")) {
      if (++scanned > kMaxScanned) return;
      std::string id = text(s, "id");
      if (!member(s, "name").is_string() || !seen.insert(id.empty() ? text(s, "name") : id).second)
        continue;
      suppliers.push_back({{"name", s["name"]}});
    }
  }
}

// Drops repeats, elements equal in every one of `keys`: one organisation
// under two party ids (a publisher's and ours, when a process goes on from
// a version this node holds) is one, and so is a document listed twice.
void unique(Json& list, std::initializer_list<const char*> keys) {
  Json out = Json::array();
  for (Json& e : list) {
    bool seen = std::any_of(out.begin(), out.end(), [&](const Json& o) {
      return std::all_of(keys.begin(), keys.end(),
                         [&](const char* k) { return member(o, k) == member(e, k); });
    });
    if (!seen) out.push_back(std::move(e));
  }
  list = std::move(out);
}

void readParties(const Json& release, Json& record) {
  std::string leadId = text(member(release, "buyer"), "id");
  Json buyers = Json::array(), suppliers = Json::array();
  std::set<std::string> seen;  // supplier party ids
  size_t scanned = 0;
  for (const Json& party : list(release, "parties")) {
    if (++scanned > kMaxScanned) break;
    if (hasRole(party, "buyer")) buyers.push_back(casePartyOf(party, true, leadId));
    if (hasRole(party, "supplier")) {
      suppliers.push_back(casePartyOf(party, false, leadId));
      seen.insert(text(party, "id"));
    }
  }
  addAwardSuppliers(release, suppliers, seen);
  unique(buyers, {"name", "orgnr"});
  unique(suppliers, {"name", "orgnr"});
  // The lead buyer comes first in the case format.
  std::stable_partition(buyers.begin(), buyers.end(),
                        [](const Json& b) { return b.value("role", "") == "lead"; });
  if (!buyers.empty()) record["buyers"] = buyers;
  if (!suppliers.empty()) record["suppliers"] = suppliers;
}

std::string procedureOf(const Json& tender) {
  std::string details = text(tender, "procurementMethodDetails");
  auto codes = rules::procedureCodes();
  if (std::find(codes.begin(), codes.end(), details) != codes.end()) return details;
  auto it = kProcedureOf.find(text(tender, "procurementMethod"));
  return it == kProcedureOf.end() ? "other" : it->second;
}

// The tender's status (else the status of the version compiling went on
// from, else planning), moved on by what the contracts say: an active
// contract is being carried out, a terminated one is over.
std::string statusOf(const Json& release) {
  const std::string tender = text(member(release, "tender"), "status");
  auto status = kCaseStatusOf.find(tender);
  std::string before = text(member(release, kExtension), kStatusBefore);
  if (before.empty()) before = "planning";
  std::string out = status == kCaseStatusOf.end() ? before : status->second;
  if (out == "cancelled" || out == "failed") return out;
  bool active = false, terminated = false;
  for (const Json& c : list(release, "contracts")) {
    active |= text(c, "status") == "active";
    terminated |= text(c, "status") == "terminated";
  }
  if (active) return "implementation";
  return terminated ? "completed" : out;
}

// "45233130.0", as spreadsheets write a code, is "45233130"; a code without
// its check digit stays without it (the digit cannot be computed: the
// published digits do not follow the published algorithm).
std::string cpvOf(std::string id) {
  if (id.size() == 10 && id.compare(8, 2, ".0") == 0) id.resize(8);
  return id;
}

// Adds a CPV classification's code once: the code with its check digit
// stands for the same code without it.
void addCpv(const Json& classification, Json& cpv) {
  if (text(classification, "scheme") != "CPV" || !member(classification, "id").is_string()) return;
  const std::string code = cpvOf(classification["id"]);
  const std::string digits = code.substr(0, 8);
  for (Json& c : cpv) {
    const std::string held = c.get<std::string>();
    if (held.compare(0, 8, digits) != 0) continue;
    if (held == code || (held.size() == 10 && code.size() == 8)) return;
    if (held.size() == 8 && code.size() == 10) {
      c = code;
      return;
    }
  }
  cpv.push_back(code);
}

void readCpv(const Json& release, Json& record) {
  Json cpv = Json::array();
  size_t scanned = 0;
  auto items = [&](const Json& owner) {
    for (const Json& item : list(owner, "items")) {
      if (++scanned > kMaxScanned) return;
      addCpv(member(item, "classification"), cpv);
      for (const Json& c : list(item, "additionalClassifications")) addCpv(c, cpv);
    }
  };
  items(member(release, "tender"));
  for (const Json& a : list(release, "awards")) items(a);
  for (const Json& c : list(release, "contracts")) items(c);
  if (!cpv.empty()) record["cpv"] = cpv;
}

// The sum of the values of `owners` that are not cancelled, when they are
// all in one currency; null otherwise.
Json totalValue(const Json& owners, const char* valueKey) {
  double sum = 0;
  std::string currency;
  bool any = false;
  for (const Json& o : owners) {
    if (isDropped(text(o, "status"))) continue;
    const Json& v = member(o, valueKey);
    if (!member(v, "amount").is_number()) continue;
    if (any && text(v, "currency") != currency) return Json();
    currency = text(v, "currency");
    sum += v["amount"].get<double>();
    any = true;
  }
  if (!any) return Json();
  Json value{{"amount", sum}};
  if (!currency.empty()) value["currency"] = currency;
  return value;
}

// What was agreed, when the release says: the contracts' total, else the
// awards', else the tender's estimate.
void readValue(const Json& release, Json& record) {
  Json value = totalValue(list(release, "contracts"), "value");
  if (value.is_null()) value = totalValue(list(release, "awards"), "value");
  if (value.is_null() && member(member(release, "tender"), "value").is_object()) {
    value = release["tender"]["value"];
  }
  if (!value.is_object()) return;
  record["value"] = value;
}

// The contract period: the contracts' earliest start and latest end, else
// the awards', else the tender's.
void readPeriod(const Json& release, Json& record) {
  auto span = [](const Json& owners, const char* key, std::string& from, std::string& to) {
    for (const Json& o : owners) {
      const Json& p = member(o, key);
      std::string s = text(p, "startDate").substr(0, 10), e = text(p, "endDate").substr(0, 10);
      if (s.size() == 10 && (from.empty() || s < from)) from = s;
      if (e.size() == 10 && e > to) to = e;
    }
  };
  std::string from, to;
  span(list(release, "contracts"), "period", from, to);
  if (from.empty() && to.empty()) span(list(release, "awards"), "contractPeriod", from, to);
  if (from.empty() && to.empty()) {
    span(Json::array({member(release, "tender")}), "contractPeriod", from, to);
  }
  if (!from.empty()) record["started"] = from;
  if (!to.empty()) record["ended"] = to;
}

void readDocuments(const Json& release, const Json& ext, Json& record) {
  Json out = Json::array();
  size_t scanned = 0;
  auto add = [&](const Json& owner, bool tender) {
    for (const Json& d : list(owner, "documents")) {
      if (++scanned > kMaxScanned) return;
      Json doc = Json::object();
      if (member(d, "title").is_string()) doc["title"] = d["title"];
      if (member(d, "documentType").is_string()) doc["type"] = d["documentType"];
      if (member(d, "url").is_string()) doc["url"] = d["url"];
      // Our own releases keep the hashes by tender document id.
      const Json& hash = member(member(ext, "documentHashes"), text(d, "id").c_str());
      if (tender && hash.is_string()) doc["sha256"] = hash;
      out.push_back(doc);
    }
  };
  add(member(release, "planning"), false);
  add(member(release, "tender"), true);
  for (const Json& a : list(release, "awards")) add(a, false);
  for (const Json& c : list(release, "contracts")) {
    add(c, false);
    add(member(c, "implementation"), false);
  }
  unique(out, {"title", "type", "url"});
  if (!out.empty()) record["documents"] = out;
}

// The process's title: the tender's, else the first award's or contract's.
std::string titleOf(const Json& release) {
  std::string title = text(member(release, "tender"), "title");
  for (const char* owner : {"awards", "contracts"}) {
    for (const Json& o : list(release, owner)) {
      if (title.empty()) title = text(o, "title");
    }
  }
  return title;
}

}  // namespace

Result<Json> recordOf(const Json& release, const std::string& caseId) {
  if (!release.is_object()) return Status::invalid("not a JSON object");
  std::string title = titleOf(release);
  if (title.empty()) {
    return Status::invalid("tender.title: missing, and no award or contract has a title");
  }
  const Json& tender = member(release, "tender");
  Json record{{"id", caseId}, {"title", title}};
  if (member(tender, "description").is_string()) record["summary"] = tender["description"];
  // Ours carry the case's own language in the extension (the release's is
  // nb when the case has none); older exports of ours, only a non-default one.
  const Json& ext = member(release, kExtension);
  const std::string language = text(release, "language");
  if (!describesWholeCase(release) || (!ext.contains("language") && language != "nb")) {
    if (!language.empty()) record["language"] = language;
  }
  readParties(release, record);
  record["procedure"] = procedureOf(tender);
  record["status"] = statusOf(release);
  readCpv(release, record);
  readValue(release, record);
  readPeriod(release, record);
  readDocuments(release, ext, record);
  if (ext.is_object()) {
    for (const auto& [key, value] : ext.items()) {
      if (key != "documentHashes" && key != kStatusBefore) record[key] = value;
    }
  }
  return record;
}

}  // namespace allmenning::ocds
