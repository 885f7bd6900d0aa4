#include "protocol/ocds.h"

#include <algorithm>
#include <map>

#include "protocol/case_rules.h"

namespace allmenning::ocds {
namespace {

// Our procedure -> OCDS procurementMethod (codelist method.csv). Procedures
// without a tender of their own (a market consultation) have none.
const std::map<std::string, std::string> kMethodOf = {{"open", "open"},
                                                      {"restricted", "selective"},
                                                      {"negotiated", "limited"},
                                                      {"competitive-dialogue", "selective"},
                                                      {"innovation-partnership", "selective"},
                                                      {"pre-commercial", "limited"},
                                                      {"innovation-competition", "open"},
                                                      {"design-contest", "selective"}};
// Our status -> tender.status (tenderStatus.csv) and the release tag.
struct StatusMap {
  const char* tender;
  const char* tag;
};
const std::map<std::string, StatusMap> kStatusOf = {
    {"planning", {"planning", "planning"}},
    {"market-dialogue", {"planning", "planning"}},
    {"tendering", {"active", "tender"}},
    {"development", {"complete", "contract"}},
    {"implementation", {"complete", "implementation"}},
    {"completed", {"complete", "implementation"}},
    {"cancelled", {"cancelled", "tenderCancellation"}},
    {"failed", {"unsuccessful", "tenderCancellation"}}};
// Case fields with no OCDS home: they travel in the extension object.
const char* const kExtensionFields[] = {
    "need",   "solution", "results", "lessons_learned", "innovation_types", "sector",
    "status", "tags",     "contact", "doffin",          "related"};

std::string str(const Json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

Json partyOf(const Json& p, const std::string& role, size_t index) {
  std::string orgnr = str(p, "orgnr");
  Json party{{"id", orgnr.empty() ? role + "-" + std::to_string(index + 1) : "NO-BRC-" + orgnr},
             {"name", p["name"]}};
  if (!orgnr.empty()) {
    party["identifier"] = {{"scheme", "NO-BRC"}, {"id", orgnr}, {"legalName", p["name"]}};
  }
  party["roles"] = Json::array({role});
  Json details = Json::object();
  for (const char* k : {"kommunenummer", "role"}) {
    if (p.contains(k)) details[k] = p[k];
  }
  if (!details.empty()) party["details"] = details;
  return party;
}

// Adds the buyers and suppliers as parties; one organisation in both lists
// is one party with both roles.
void addParties(Json& release, const Json& record) {
  Json parties = Json::array();
  auto add = [&](const Json& p, const std::string& role, size_t i) {
    Json party = partyOf(p, role, i);
    for (Json& existing : parties) {
      if (existing["id"] == party["id"]) {
        existing["roles"].push_back(role);
        return existing;
      }
    }
    parties.push_back(party);
    return party;
  };
  const Json none = Json::array();
  const Json& buyers = record.contains("buyers") ? record["buyers"] : none;
  for (size_t i = 0; i < buyers.size(); ++i) {
    Json party = add(buyers[i], "buyer", i);
    if (i == 0) release["buyer"] = {{"id", party["id"]}, {"name", party["name"]}};
  }
  Json awardSuppliers = Json::array();
  const Json& suppliers = record.contains("suppliers") ? record["suppliers"] : none;
  for (size_t i = 0; i < suppliers.size(); ++i) {
    Json party = add(suppliers[i], "supplier", i);
    awardSuppliers.push_back({{"id", party["id"]}, {"name", party["name"]}});
  }
  if (!parties.empty()) release["parties"] = parties;
  if (!awardSuppliers.empty()) {
    release["awards"] =
        Json::array({{{"id", "1"}, {"status", "active"}, {"suppliers", awardSuppliers}}});
  }
}

Json tenderOf(const Json& record, bool retracted) {
  std::string procedure = str(record, "procedure");
  Json t{{"id", record["id"]}, {"title", record["title"]}};
  if (record.contains("summary")) t["description"] = record["summary"];
  t["status"] = retracted ? "withdrawn" : kStatusOf.at(str(record, "status")).tender;
  if (kMethodOf.count(procedure)) t["procurementMethod"] = kMethodOf.at(procedure);
  t["procurementMethodDetails"] = procedure;
  if (record.contains("cpv")) {
    Json items = Json::array();
    for (const auto& code : record["cpv"]) {
      items.push_back({{"id", std::to_string(items.size() + 1)},
                       {"classification", {{"scheme", "CPV"}, {"id", code}}}});
    }
    t["items"] = items;
  }
  if (record.contains("value")) t["value"] = record["value"];
  Json period = Json::object();
  if (record.contains("started")) period["startDate"] = str(record, "started") + "T00:00:00Z";
  if (record.contains("ended")) period["endDate"] = str(record, "ended") + "T00:00:00Z";
  if (!period.empty()) t["contractPeriod"] = period;
  if (record.contains("documents")) {
    Json docs = Json::array();
    for (const auto& d : record["documents"]) {
      Json doc{{"id", std::to_string(docs.size() + 1)}};
      if (d.contains("type")) doc["documentType"] = d["type"];
      for (const char* k : {"title", "url"}) {
        if (d.contains(k)) doc[k] = d[k];
      }
      docs.push_back(doc);
    }
    t["documents"] = docs;
  }
  return t;
}

Json extensionOf(const Json& record) {
  Json ext = Json::object();
  // The release's `language` says nb when the case says nothing; this says
  // whether the case did, so the case reads back byte for byte.
  if (record.contains("language")) ext["language"] = record["language"];
  for (const char* k : kExtensionFields) {
    if (record.contains(k)) ext[k] = record[k];
  }
  if (record.contains("documents")) {
    Json hashes = Json::object();
    for (size_t i = 0; i < record["documents"].size(); ++i) {
      const Json& d = record["documents"][i];
      if (d.contains("sha256")) hashes[std::to_string(i + 1)] = d["sha256"];
    }
    if (!hashes.empty()) ext["documentHashes"] = hashes;
  }
  return ext;
}

}  // namespace

std::string ocidOf(const std::string& authorHex, const std::string& caseId) {
  return kOcidPrefix + authorHex.substr(0, 16) + "-" + caseId;
}

Json releaseOf(const Json& record, const Version& v) {
  std::string ocid = ocidOf(v.authorHex, record["id"]);
  const char* tag = v.retracted ? "tenderCancellation" : kStatusOf.at(str(record, "status")).tag;
  Json r{{"ocid", ocid},
         {"id", ocid + "-" + std::to_string(v.seq)},
         {"date", v.date},
         {"tag", Json::array({tag})},
         {"initiationType", "tender"},
         {"language", record.contains("language") ? record["language"] : Json("nb")}};
  addParties(r, record);
  r["tender"] = tenderOf(record, v.retracted);
  r[kExtension] = extensionOf(record);
  return r;
}

bool describesWholeCase(const Json& release) {
  return release.is_object() && release.contains(kExtension) && release[kExtension].is_object();
}

bool withdraws(const Json& release) {
  if (!describesWholeCase(release) || !release.contains("tag") || !release["tag"].is_array()) {
    return false;
  }
  const Json& tags = release["tag"];
  bool cancel = std::find(tags.begin(), tags.end(), Json("tenderCancellation")) != tags.end();
  return cancel && release.contains("tender") && release["tender"].is_object() &&
         str(release["tender"], "status") == "withdrawn";
}

std::string caseIdOfOcid(const std::string& ocid) {
  // Ours: the prefix, 16 hex digits of the author, "-", the case id.
  const size_t prefix = sizeof kOcidPrefix - 1;
  if (ocid.size() > prefix + 17 && ocid.compare(0, prefix, kOcidPrefix) == 0 &&
      ocid[prefix + 16] == '-') {
    std::string tail = ocid.substr(prefix + 17);
    if (rules::isValidId(tail)) return tail;
  }
  std::string id;
  for (char c : ocid) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    bool plain = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (plain || (!id.empty() && id.back() != '-')) id += plain ? c : '-';
    if (id.size() == 80) break;
  }
  while (!id.empty() && id.back() == '-') id.pop_back();
  return id;
}

}  // namespace allmenning::ocds
