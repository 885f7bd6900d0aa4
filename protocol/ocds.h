// Case records <-> OCDS 1.1 releases (docs/ocds.md). Pure functions on JSON.
//
// One release describes one version of one case. Fields with an OCDS home
// go there (tender, parties, buyer, awards); the rest travel in the release's
// "allmenning" object, an extension field, so that a release read back gives
// the same case record.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "protocol/status.h"

namespace allmenning::ocds {

using Json = nlohmann::ordered_json;

// The ocid prefix of every release this project writes.
inline constexpr char kOcidPrefix[] = "ocds-allmenning-";
// The release's extension object for case fields without an OCDS home.
inline constexpr char kExtension[] = "allmenning";

// Identifies the version a release describes.
struct Version {
  std::string authorHex;  // 64 hex digits
  uint64_t seq = 0;
  std::string date;        // ISO 8601 time the version was signed
  bool retracted = false;  // the release withdraws the case instead
};

// "ocds-allmenning-<first 16 hex digits of the author>-<case id>".
std::string ocidOf(const std::string& authorHex, const std::string& caseId);

// A valid case record (decodeCase output) as an OCDS release.
Json releaseOf(const Json& record, const Version& version);

// The status of the version a foreign process's compiling goes on from, in
// the extension object: the status when the releases merged into it say none.
inline constexpr char kStatusBefore[] = "statusBefore";

// Nesting deeper than this is refused when a package is read: no OCDS field
// is nested half as deep, and it bounds the recursion of merging.
inline constexpr int kMaxDepth = 32;

// Merges `release` into `compiled` by the OCDS merge rules: later values
// replace earlier ones, null removes a field, arrays of objects that all
// have an `id` merge by id, other arrays are replaced. The release's own
// `id` and `tag` are not merged. `compiled` starts as an empty object.
void mergeRelease(Json& compiled, const Json& release);

// A compiled release as a case record with id `caseId`, before the case
// rules are applied: fields a release lacks are left out. Refused, naming
// the field, when no title can be found (tender, award or contract title).
Result<Json> recordOf(const Json& compiled, const std::string& caseId);

// `record` made to pass the case rules: a text longer than its field allows
// is shortened, and any other field, list element or sub-field the rules
// refuse is dropped. Each change is appended to `notes` as "<path>: <what
// was done> (<the rule>)". Refused when a required field (id, title,
// procedure, status) breaks a rule, naming it.
Result<Json> fitToCaseRules(Json record, std::vector<std::string>& notes);

// True when the release describes a whole case version, as this project
// writes them (it carries the extension object): it replaces what was
// compiled before instead of merging into it.
bool describesWholeCase(const Json& release);

// True when the release withdraws its case (one of ours, tag
// tenderCancellation with tender status withdrawn), as written for a
// retraction.
bool withdraws(const Json& release);

// The case id a process is stored under: for an ocid this project wrote,
// the case id it carries; for any other, the ocid itself in lowercase with
// every character outside [a-z0-9-] as "-". Empty when nothing is left.
std::string caseIdOfOcid(const std::string& ocid);

}  // namespace allmenning::ocds
