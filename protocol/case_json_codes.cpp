// Code lists and text formats of the case record (docs/case-format.md).
//
// The lists are compiled in rather than read from files at run time: the set
// of valid records must not depend on what happens to lie on a node's disk,
// or two nodes could disagree about whether one signed payload is valid.
#include <algorithm>

#include "protocol/case_json_internal.h"
#include "protocol/case_rules.h"

namespace allmenning::case_json {
namespace {

// The procedure codes name Norwegian and EU procedure types, plus the
// innovation-specific ones (pre-commercial, innovation-competition such as
// StartOff, market-consultation) that sharing experience is mostly about.
constexpr std::string_view kProcedureCodes[] = {"open",
                                                "restricted",
                                                "negotiated",
                                                "competitive-dialogue",
                                                "innovation-partnership",
                                                "pre-commercial",
                                                "innovation-competition",
                                                "design-contest",
                                                "market-consultation",
                                                "other"};
// eForms BT-776 (procurement of innovation) codes, kept as eForms spells
// them so that exports copy them without a mapping table.
constexpr std::string_view kInnovationTypeCodes[] = {
    "buy-eff", "fp-requ", "mar-nov", "org-nov", "proc-innov", "prod-innov", "rd-act", "other"};
// Allmenning's own coarse sectors: few enough to pick one without a manual.
constexpr std::string_view kSectorCodes[] = {
    "health-care",    "building",  "transport",   "water-waste", "education",
    "administration", "emergency", "environment", "culture",     "other"};
// Where the case stands; cancelled and failed are kept on purpose, since
// what went wrong is often the most useful thing another buyer can read.
constexpr std::string_view kStatusCodes[] = {"planning",    "market-dialogue", "tendering",
                                             "development", "implementation",  "completed",
                                             "cancelled",   "failed"};
constexpr std::string_view kPartyRoleCodes[] = {"lead", "participant"};
// How a case relates to another author's case (related[].relationship).
constexpr std::string_view kRelationshipCodes[] = {"derived-from", "prior", "follow-up",
                                                   "same-need"};

// OCDS 1.1 codelist documentType.csv, column Code, in the file's order. OCDS
// spells codes in camelCase, unlike our own lists; they are kept verbatim so
// that an OCDS export needs no mapping.
constexpr std::string_view kDocumentTypeCodes[] = {
    "plannedProcurementNotice",
    "tenderNotice",
    "awardNotice",
    "contractNotice",
    "completionCertificate",
    "procurementPlan",
    "biddingDocuments",
    "technicalSpecifications",
    "evaluationCriteria",
    "evaluationReports",
    "contractDraft",
    "contractSigned",
    "contractArrangements",
    "contractSchedule",
    "physicalProgressReport",
    "financialProgressReport",
    "finalAudit",
    "hearingNotice",
    "marketStudies",
    "eligibilityCriteria",
    "clarifications",
    "shortlistedFirms",
    "environmentalImpact",
    "assetAndLiabilityAssessment",
    "riskProvisions",
    "winningBid",
    "complaints",
    "contractAnnexe",
    "contractGuarantees",
    "subContract",
    "needsAssessment",
    "feasibilityStudy",
    "projectPlan",
    "billOfQuantity",
    "bidders",
    "conflictOfInterest",
    "debarments",
    "illustration",
    "submissionDocuments",
    "contractSummary",
    "cancellationDetails",
};

// <cctype> would depend on the C locale; the formats here are ASCII-only.
bool isDigit(char c) { return c >= '0' && c <= '9'; }
bool isLower(char c) { return c >= 'a' && c <= 'z'; }
bool isUpper(char c) { return c >= 'A' && c <= 'Z'; }
bool isAlnum(char c) { return isDigit(c) || isLower(c) || isUpper(c); }
bool isLowerHex(char c) { return isDigit(c) || (c >= 'a' && c <= 'f'); }

template <typename Pred>
bool all(std::string_view s, Pred p) {
  return std::all_of(s.begin(), s.end(), p);
}

}  // namespace

const CodeList kProcedures{kProcedureCodes, ""};
const CodeList kInnovationTypes{kInnovationTypeCodes, ""};
const CodeList kSectors{kSectorCodes, ""};
const CodeList kStatuses{kStatusCodes, ""};
const CodeList kPartyRoles{kPartyRoleCodes, ""};
// 41 codes are too many to print in a message; the docs list them.
const CodeList kDocumentTypes{kDocumentTypeCodes, "an OCDS documentType code"};
const CodeList kRelationships{kRelationshipCodes, ""};

bool CodeList::contains(std::string_view s) const {
  return std::find(codes.begin(), codes.end(), s) != codes.end();
}

std::string CodeList::refusal() const {
  if (!name.empty()) return "is not " + std::string(name);
  std::string out = "is not one of ";
  for (size_t i = 0; i < codes.size(); ++i) {
    if (i > 0) out += ", ";
    out += codes[i];
  }
  return out;
}

bool isLanguageTag(std::string_view s) {
  // 35 characters is the length BCP 47 asks every implementation to support.
  if (s.empty() || s.size() > 35) return false;
  size_t start = 0;
  for (bool first = true;; first = false) {
    const size_t dash = s.find('-', start);
    const std::string_view sub =
        s.substr(start, dash == std::string_view::npos ? s.npos : dash - start);
    const bool ok = first ? sub.size() >= 2 && sub.size() <= 3 && all(sub, isLower)
                          : sub.size() >= 2 && sub.size() <= 8 && all(sub, isAlnum);
    if (!ok) return false;
    if (dash == std::string_view::npos) return true;
    start = dash + 1;
  }
}

bool isCurrencyCode(std::string_view s) { return s.size() == 3 && all(s, isUpper); }

bool isSha256Hex(std::string_view s) { return s.size() == 64 && all(s, isLowerHex); }

// Deliberately loose: the full address grammar (RFC 5322) accepts much that
// no mail system delivers, and a strict check would only refuse real
// addresses. This catches what happens in practice: a missing @ or domain.
bool isEmailAddress(std::string_view s) {
  const size_t at = s.find('@');
  if (at == 0 || at == s.npos || s.find('@', at + 1) != s.npos) return false;
  if (s.find(' ') != s.npos) return false;
  // The domain needs at least two labels and no empty one: "x@y.z".
  const std::string_view domain = s.substr(at + 1);
  const size_t dot = domain.find('.');
  return dot != domain.npos && domain.front() != '.' && domain.back() != '.' &&
         domain.find("..") == domain.npos;
}

bool isHttpUrl(std::string_view s) {
  std::string_view rest;
  if (s.starts_with("https://")) {
    rest = s.substr(8);
  } else if (s.starts_with("http://")) {
    rest = s.substr(7);
  } else {
    return false;
  }
  // Control characters are refused in all text already. A space must be
  // written %20 in a URL; a raw one usually means two things were pasted.
  return !rest.empty() && rest.front() != '/' && rest.front() != '?' && rest.front() != '#' &&
         s.find(' ') == s.npos;
}

bool isCaseRef(std::string_view s) {
  return s.size() > 65 && all(s.substr(0, 64), isLowerHex) && s[64] == '/' &&
         rules::isValidId(s.substr(65));
}

}  // namespace allmenning::case_json

namespace allmenning::rules {
namespace {

std::vector<std::string> strings(const case_json::CodeList& list) {
  return std::vector<std::string>(list.codes.begin(), list.codes.end());
}

}  // namespace

std::vector<std::string> procedureCodes() { return strings(case_json::kProcedures); }
std::vector<std::string> sectorCodes() { return strings(case_json::kSectors); }
std::vector<std::string> statusCodes() { return strings(case_json::kStatuses); }

}  // namespace allmenning::rules
