// The checkers of the record formats: each validates one JSON value against
// one rule of docs/case-format.md and returns its text, or a refusal that
// names the field path and the rule.
#include "protocol/record_fields.h"

#include <cstdint>

#include "protocol/case_rules.h"
#include "protocol/text_rule.h"

namespace allmenning::case_json {
namespace {

constexpr size_t kMaxTag = 60;
constexpr size_t kMaxUrl = 2000;  // longer URLs are cut by common browsers and servers

using PartyB = schema::Party::Builder;
using ContactB = schema::Contact::Builder;

// A JSON string holding 1..maxLength code points of UTF-8 that follows the
// text rule (protocol/text_rule.h). Every text field goes through here first.
TextResult text(const Json& v, const std::string& path, size_t maxLength, bool multiLine = false) {
  if (!v.is_string()) return fail(path, "must be a string");
  const std::string& s = v.get_ref<const std::string&>();
  if (!rules::isValidUtf8(s)) return fail(path, "not valid UTF-8");
  if (s.empty()) return fail(path, "must not be empty");
  const auto form = multiLine ? rules::TextForm::kMultiLine : rules::TextForm::kLine;
  if (auto c = rules::forbiddenCharacter(s, form)) {
    return fail(path, "must not contain " + rules::describeCodePoint(*c));
  }
  const size_t n = rules::codePoints(s);
  if (n > maxLength) {
    return fail(path, "must be at most " + std::to_string(maxLength) + " characters long (has " +
                          std::to_string(n) + ")");
  }
  return std::string_view(s);
}

// Text that must satisfy `valid`; otherwise "<path>: "<value>" <what>".
template <typename Pred>
TextResult matching(const Json& v, const std::string& path, Pred valid, const char* what,
                    size_t maxLength = kNoLimit) {
  auto t = text(v, path, maxLength);
  if (t.isOk() && !valid(*t)) return fail(path, quote(*t) + " " + what);
  return t;
}

TextResult code(const Json& v, const std::string& path, const CodeList& list) {
  auto t = text(v, path, kNoLimit);
  if (!t.isOk() || list.contains(*t)) return t;
  return fail(path, quote(*t) + " " + list.refusal());
}

const Field<PartyB> kBuyerFields[] = {
    {"name", true, setText<PartyB, &PartyB::setName, checkShortText>},
    {"orgnr", false, setText<PartyB, &PartyB::setOrgnr, checkOrgnr>},
    {"kommunenummer", false, setText<PartyB, &PartyB::setKommunenummer, checkKommunenummer>},
    {"role", false, setText<PartyB, &PartyB::setRole, checkRole>},
};
const Field<ContactB> kContactFields[] = {
    {"role", false, setText<ContactB, &ContactB::setRole, checkShortText>},
    {"name", false, setText<ContactB, &ContactB::setName, checkShortText>},
    {"email", false, setText<ContactB, &ContactB::setEmail, checkEmail>},
};

}  // namespace

Status fail(const std::string& path, const std::string& rule) {
  return Status::invalid(path + ": " + rule);
}

TextResult checkShortText(const Json& v, const std::string& p) { return text(v, p, kMaxShortText); }
TextResult checkLongText(const Json& v, const std::string& p) {
  return text(v, p, kMaxLongText, /*multiLine=*/true);
}
TextResult checkTag(const Json& v, const std::string& p) { return text(v, p, kMaxTag); }

TextResult checkId(const Json& v, const std::string& p) {
  return matching(v, p, rules::isValidId, "does not match [a-z0-9][a-z0-9-]{0,79}");
}
TextResult checkDate(const Json& v, const std::string& p) {
  return matching(v, p, rules::isValidDate, "is not a date (YYYY-MM-DD)");
}
TextResult checkCpv(const Json& v, const std::string& p) {
  return matching(v, p, rules::isValidCpv, "is not a CPV code (DDDDDDDD-D or DDDDDDDD)");
}
TextResult checkDoffin(const Json& v, const std::string& p) {
  return matching(v, p, rules::isValidDoffinId, "is not a Doffin notice id (YYYY-NNNNNN)");
}
TextResult checkKommunenummer(const Json& v, const std::string& p) {
  return matching(v, p, rules::isValidKommunenummer, "must be 4 digits");
}
TextResult checkLanguage(const Json& v, const std::string& p) {
  return matching(v, p, isLanguageTag, "is not a language tag like nb, nn or en-GB");
}
TextResult checkCurrency(const Json& v, const std::string& p) {
  return matching(v, p, isCurrencyCode, "is not an ISO 4217 code (three capital letters)");
}
TextResult checkSha256(const Json& v, const std::string& p) {
  return matching(v, p, isSha256Hex, "is not a SHA-256 digest (64 lowercase hex digits)");
}
TextResult checkEmail(const Json& v, const std::string& p) {
  return matching(v, p, isEmailAddress, "is not an email address", kMaxShortText);
}
TextResult checkUrl(const Json& v, const std::string& p) {
  return matching(v, p, isHttpUrl, "is not an http:// or https:// URL", kMaxUrl);
}
TextResult checkCaseRef(const Json& v, const std::string& p) {
  return matching(v, p, isCaseRef, "is not a case reference (<64 lowercase hex>/<id>)");
}

// The shape and the checksum get separate messages: a typo in the checksum
// and a pasted phone number need different fixes.
TextResult checkOrgnr(const Json& v, const std::string& p) {
  auto t = text(v, p, kNoLimit);
  if (!t.isOk()) return t;
  const bool nineDigits = t->size() == 9 && std::all_of(t->begin(), t->end(), [](char c) {
                            return c >= '0' && c <= '9';
                          });
  if (!nineDigits) return fail(p, quote(*t) + " must be 9 digits");
  if (!rules::isValidOrgnr(*t)) return fail(p, std::string(*t) + " fails the MOD11 check");
  return t;
}

TextResult checkProcedure(const Json& v, const std::string& p) { return code(v, p, kProcedures); }
TextResult checkSector(const Json& v, const std::string& p) { return code(v, p, kSectors); }
TextResult checkStatus(const Json& v, const std::string& p) { return code(v, p, kStatuses); }
TextResult checkRole(const Json& v, const std::string& p) { return code(v, p, kPartyRoles); }
TextResult checkInnovationType(const Json& v, const std::string& p) {
  return code(v, p, kInnovationTypes);
}
TextResult checkDocumentType(const Json& v, const std::string& p) {
  return code(v, p, kDocumentTypes);
}
TextResult checkRelationship(const Json& v, const std::string& p) {
  return code(v, p, kRelationships);
}

Status checkList(const Json& v, const std::string& path, size_t maxItems) {
  if (!v.is_array()) return fail(path, "must be a list");
  if (v.empty()) return fail(path, "must not be empty");
  if (v.size() > maxItems) {
    return fail(path, "must have at most " + std::to_string(maxItems) + " items (has " +
                          std::to_string(v.size()) + ")");
  }
  return Status::ok();
}

Status fillBuyers(const Json& v, const std::string& path,
                  capnp::List<schema::Party>::Builder list) {
  return fillEach(v, path, kBuyerFields, list);
}

Status fillContact(const Json& v, const std::string& path, schema::Contact::Builder b) {
  return fillObject(v, path, kContactFields, b);
}

}  // namespace allmenning::case_json
