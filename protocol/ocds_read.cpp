// OCDS release -> case record. Foreign releases (a Doffin export, say) carry
// only standard fields; ours also carry the extension object.
#include <algorithm>
#include <map>

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

void readParties(const Json& release, Json& record) {
  const Json& parties = member(release, "parties");
  if (!parties.is_array()) return;
  std::string leadId = text(member(release, "buyer"), "id");
  Json buyers = Json::array(), suppliers = Json::array();
  for (const Json& party : parties) {
    if (hasRole(party, "buyer")) buyers.push_back(casePartyOf(party, true, leadId));
    if (hasRole(party, "supplier")) suppliers.push_back(casePartyOf(party, false, leadId));
  }
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

void readTender(const Json& tender, Json& record) {
  if (member(tender, "description").is_string()) record["summary"] = tender["description"];
  record["procedure"] = procedureOf(tender);
  auto status = kCaseStatusOf.find(text(tender, "status"));
  record["status"] = status == kCaseStatusOf.end() ? "planning" : status->second;
  Json cpv = Json::array();
  for (const Json& item : member(tender, "items")) {
    const Json& c = member(item, "classification");
    if (text(c, "scheme") == "CPV" && member(c, "id").is_string()) cpv.push_back(c["id"]);
  }
  if (!cpv.empty()) record["cpv"] = cpv;
  if (member(tender, "value").is_object()) record["value"] = tender["value"];
  const Json& period = member(tender, "contractPeriod");
  if (text(period, "startDate").size() >= 10)
    record["started"] = text(period, "startDate").substr(0, 10);
  if (text(period, "endDate").size() >= 10) record["ended"] = text(period, "endDate").substr(0, 10);
}

void readDocuments(const Json& tender, const Json& ext, Json& record) {
  const Json& docs = member(tender, "documents");
  if (!docs.is_array() || docs.empty()) return;
  Json out = Json::array();
  for (const Json& d : docs) {
    Json doc = Json::object();
    if (member(d, "title").is_string()) doc["title"] = d["title"];
    if (member(d, "documentType").is_string()) doc["type"] = d["documentType"];
    if (member(d, "url").is_string()) doc["url"] = d["url"];
    const Json& hash = member(member(ext, "documentHashes"), text(d, "id").c_str());
    if (hash.is_string()) doc["sha256"] = hash;
    out.push_back(doc);
  }
  record["documents"] = out;
}

}  // namespace

Result<Json> recordOf(const Json& release) {
  if (!release.is_object()) return Status::invalid("not a JSON object");
  const Json& tender = member(release, "tender");
  if (!tender.is_object()) return Status::invalid("tender: missing; a case needs a tender");
  std::string id = text(tender, "id");
  if (id.empty()) return Status::invalid("tender.id: missing; it becomes the case id");
  if (text(tender, "title").empty()) return Status::invalid("tender.title: missing");
  Json record{{"id", id}, {"title", tender["title"]}};
  if (member(release, "language").is_string()) record["language"] = release["language"];
  readParties(release, record);
  readTender(tender, record);
  const Json& ext = member(release, kExtension);
  readDocuments(tender, ext, record);
  if (ext.is_object()) {
    for (const auto& [key, value] : ext.items()) {
      if (key != "documentHashes") record[key] = value;
    }
  }
  return record;
}

}  // namespace allmenning::ocds
