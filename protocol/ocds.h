// Case records <-> OCDS 1.1 releases (docs/ocds.md). Pure functions on JSON.
//
// One release describes one version of one case. Fields with an OCDS home
// go there (tender, parties, buyer, awards); the rest travel in the release's
// "allmenning" object, an extension field, so that a release read back gives
// the same case record.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

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

// A release as a case record, to be checked by caseFromJsonValue. Fields a
// foreign release lacks are left out; a release with no tender title, or
// whose case id cannot be derived, is refused naming the field.
Result<Json> recordOf(const Json& release);

// True when the release withdraws its case (tag tenderCancellation with
// tender status withdrawn), as written for a retraction.
bool withdraws(const Json& release);

}  // namespace allmenning::ocds
