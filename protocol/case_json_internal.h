// Internals of the record JSON layer, shared by case_json.cpp (parsing and
// decoding), case_json_write.cpp (rules and building), case_json_codes.cpp
// (code lists and the text formats that have no place in case_rules.h) and
// the need and experience formats (need_json*.cpp).
// Not part of the public API: include protocol/case_json.h instead.
#pragma once

#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <string_view>

#include "protocol/echo.h"
#include "protocol/schema/allmenning.capnp.h"
#include "protocol/status.h"

namespace allmenning::case_json {

using Json = nlohmann::ordered_json;

// A closed list of codes, e.g. the procedure codes.
struct CodeList {
  std::span<const std::string_view> codes;
  // How messages name the list; empty means "list the codes themselves",
  // which is friendlier for short lists.
  std::string_view name;

  bool contains(std::string_view s) const;
  // The rule a value outside the list breaks: "is not one of a, b, c".
  std::string refusal() const;
};

extern const CodeList kProcedures;       // procedure
extern const CodeList kInnovationTypes;  // innovation_types[] (eForms BT-776)
extern const CodeList kSectors;          // sector
extern const CodeList kStatuses;         // status
extern const CodeList kPartyRoles;       // buyers[].role, suppliers[].role
extern const CodeList kDocumentTypes;    // documents[].type (OCDS 1.1 documentType)
extern const CodeList kRelationships;    // related[].relationship

// Text formats used only by the case record.
bool isLanguageTag(std::string_view s);   // [a-z]{2,3}(-[A-Za-z0-9]{2,8})*, <= 35 chars
bool isCurrencyCode(std::string_view s);  // [A-Z]{3}
bool isSha256Hex(std::string_view s);     // [0-9a-f]{64}
bool isEmailAddress(std::string_view s);  // local@label.label, no spaces
bool isHttpUrl(std::string_view s);       // http:// or https://, a host, no spaces
bool isCaseRef(std::string_view s);       // <64 lowercase hex>/<case id>

// Field paths in messages: keyPath("buyers[0]", "orgnr") == "buyers[0].orgnr",
// keyPath("", "title") == "title", indexPath("cpv", 2) == "cpv[2]". Keys that
// are not plain identifiers are shown JSON-quoted, so a hostile key cannot
// forge a path or smuggle control characters into a message.
std::string keyPath(const std::string& parent, std::string_view key);
std::string indexPath(const std::string& parent, size_t index);

// JSON forms of Cap'n Proto values, shared by the records' toJson functions.
// Absent pointers are the caller's to skip; present ones are copied as they
// are, even when empty, so that the rules can judge them.
Json textJson(capnp::Text::Reader t);
Json textListJson(capnp::List<capnp::Text>::Reader list);
Json partyJson(schema::Party::Reader p);
Json contactJson(schema::Contact::Reader c);
template <typename List, typename F>
Json listJson(List list, F element) {
  Json out = Json::array();
  for (auto e : list) out.push_back(element(e));
  return out;
}

// Checks every rule of the case format on `doc` and fills `out`, which must be
// a freshly initialised root. Refuses the first violation with
// Status::invalid("<path>: <rule>"); `out` is then partly filled and must be
// discarded.
Status buildCase(const Json& doc, schema::Case::Builder out);

// The JSON form of `c` in case-format key order, without any checks: absent
// pointers are omitted, present ones are copied as they are (even when empty),
// so that buildCase can judge them.
Json caseToJson(schema::Case::Reader c);

}  // namespace allmenning::case_json
