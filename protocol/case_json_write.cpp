// The rules of the case format (docs/case-format.md) applied to a parsed JSON
// document, filling a schema::Case builder as each field passes.
//
// Keys are visited in document order and the first violation ends the check,
// so the message always names the earliest problem in the user's file. Every
// field has a "checker" that validates one JSON value and returns its text;
// the tables below bind checkers to field names and Cap'n Proto setters.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <optional>
#include <span>

#include "protocol/case_json_internal.h"
#include "protocol/case_rules.h"

namespace allmenning::case_json {
namespace {

using CaseB = schema::Case::Builder;
using PartyB = schema::Party::Builder;
using ValueB = schema::Value::Builder;
using DocumentB = schema::Document::Builder;
using ContactB = schema::Contact::Builder;
using RelatedB = schema::Related::Builder;
using TextResult = Result<std::string_view>;

// Limits: text in code points, lists in items. They keep a record readable
// and its payload bounded; docs/case-format.md lists them for users.
constexpr size_t kNoLimit = std::numeric_limits<size_t>::max();
constexpr size_t kMaxShortText = 300;   // titles, names, contact fields
constexpr size_t kMaxLongText = 20000;  // summary, need, solution, results, lessons
constexpr size_t kMaxTag = 60;
constexpr size_t kMaxUrl = 2000;  // longer URLs are cut by common browsers and servers
constexpr size_t kMaxParties = 50;
constexpr size_t kMaxInnovationTypes = 8;  // one of each code
constexpr size_t kMaxCpv = 50;
constexpr size_t kMaxDocuments = 100;
constexpr size_t kMaxDoffin = 20;
constexpr size_t kMaxRelated = 50;
constexpr size_t kMaxTags = 30;
// Amounts are doubles on the wire. Up to 2^53 every whole number has an exact
// double, so an amount written as an integer comes back as that integer.
constexpr uint64_t kMaxAmount = uint64_t{1} << 53;

Status fail(const std::string& path, const std::string& rule) {
  return Status::invalid(path + ": " + rule);
}

capnp::Text::Reader asText(std::string_view s) {
  // Only whole std::strings reach here, so s.data()[s.size()] is the NUL
  // that Text::Reader expects.
  return capnp::Text::Reader(s.data(), s.size());
}

// The first control character in valid UTF-8 `s`, if any. Tab, LF and CR are
// allowed in multi-line text. C1 controls (U+0080..U+009F, encoded C2 80..9F)
// count too: some terminals act on them, and case text is printed to
// terminals on nodes that never chose to trust its author's taste.
std::optional<unsigned> controlCharacter(std::string_view s, bool multiLine) {
  for (size_t i = 0; i < s.size(); ++i) {
    const auto b = static_cast<uint8_t>(s[i]);
    if (multiLine && (b == '\t' || b == '\n' || b == '\r')) continue;
    if (b < 0x20 || b == 0x7F) return b;
    if (b == 0xC2 && i + 1 < s.size() && static_cast<uint8_t>(s[i + 1]) < 0xA0) {
      return static_cast<uint8_t>(s[i + 1]);
    }
  }
  return std::nullopt;
}

// A JSON string holding 1..maxLength code points of UTF-8 without control
// characters. Every text field goes through here first.
TextResult text(const nlohmann::ordered_json& v, const std::string& path, size_t maxLength,
                bool multiLine = false) {
  if (!v.is_string()) return fail(path, "must be a string");
  const std::string& s = v.get_ref<const std::string&>();
  if (!rules::isValidUtf8(s)) return fail(path, "not valid UTF-8");
  if (s.empty()) return fail(path, "must not be empty");
  if (auto c = controlCharacter(s, multiLine)) {
    char hex[16];
    std::snprintf(hex, sizeof hex, "U+%04X", *c);
    return fail(path, std::string("must not contain control character ") + hex);
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
TextResult matching(const Json& v, const std::string& path, Pred valid, const char* what) {
  auto t = text(v, path, kNoLimit);
  if (t.isOk() && !valid(*t)) return fail(path, quote(*t) + " " + what);
  return t;
}

TextResult code(const Json& v, const std::string& path, const CodeList& list) {
  auto t = text(v, path, kNoLimit);
  if (!t.isOk() || list.contains(*t)) return t;
  return fail(path, quote(*t) + " " + list.refusal());
}

// ---- Checkers: one per kind of value -------------------------------------

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
  return matching(v, p, rules::isValidCpv, "is not a CPV code (DDDDDDDD-D)");
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
  auto t = text(v, p, kMaxShortText);
  if (t.isOk() && !isEmailAddress(*t)) return fail(p, quote(*t) + " is not an email address");
  return t;
}
TextResult checkUrl(const Json& v, const std::string& p) {
  auto t = text(v, p, kMaxUrl);
  if (t.isOk() && !isHttpUrl(*t)) return fail(p, quote(*t) + " is not an http:// or https:// URL");
  return t;
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

// ---- Binding checkers to builders ------------------------------------------

using Check = TextResult (*)(const Json&, const std::string&);

// One key of a JSON object and how to store it into builder type B. Plain
// function pointers keep the tables constant data with no start-up work.
template <typename B>
struct Field {
  std::string_view name;
  bool required;
  Status (*set)(const Json& v, const std::string& path, B& b);
};

// A text field: run `check`, then store the text with `Set`.
template <typename B, void (B::*Set)(capnp::Text::Reader), Check check>
Status setText(const Json& v, const std::string& path, B& b) {
  auto t = check(v, path);
  if (!t.isOk()) return t.status();
  (b.*Set)(asText(*t));
  return Status::ok();
}

// Visits the keys of object `v` in document order, refusing unknown ones, then
// reports the first missing required field. An object without required
// fields must not be empty, so that "absent" stays the one way to say "none".
template <typename B, size_t N>
Status fillObject(const Json& v, const std::string& path, const Field<B> (&fields)[N], B& b) {
  if (!v.is_object()) return fail(path, "must be an object");
  const bool anyRequired = std::any_of(fields, fields + N, [](auto& f) { return f.required; });
  if (v.empty() && !anyRequired) return fail(path, "must not be empty");
  for (const auto& [key, item] : v.items()) {
    const std::string p = keyPath(path, key);
    auto f = std::find_if(fields, fields + N, [&](auto& f) { return f.name == key; });
    if (f == fields + N) return fail(p, "unknown field");
    ALM_RETURN_IF_ERROR(f->set(item, p, b));
  }
  for (const auto& f : fields) {
    if (f.required && !v.contains(f.name)) return fail(keyPath(path, f.name), "is required");
  }
  return Status::ok();
}

// An empty list is refused like an empty string: absence is the one way to
// say "none", so a record has exactly one JSON form and one encoding.
Status checkList(const Json& v, const std::string& path, size_t maxItems) {
  if (!v.is_array()) return fail(path, "must be a list");
  if (v.empty()) return fail(path, "must not be empty");
  if (v.size() > maxItems) {
    return fail(path, "must have at most " + std::to_string(maxItems) + " items (has " +
                          std::to_string(v.size()) + ")");
  }
  return Status::ok();
}

// A list of objects: each element of `v` filled into `list` (already sized).
template <typename ListB, typename B, size_t N>
Status fillEach(const Json& v, const std::string& path, const Field<B> (&fields)[N], ListB list) {
  for (unsigned i = 0; i < list.size(); ++i) {
    B element = list[i];
    ALM_RETURN_IF_ERROR(fillObject(v[i], indexPath(path, i), fields, element));
  }
  return Status::ok();
}

// A list of strings. Duplicates are refused in every such list: none of them
// (codes, CPV, notices, tags) gains meaning by repetition.
template <capnp::List<capnp::Text>::Builder (CaseB::*Init)(unsigned), size_t MaxItems, Check check>
Status setTextList(const Json& v, const std::string& path, CaseB& b) {
  ALM_RETURN_IF_ERROR(checkList(v, path, MaxItems));
  auto list = (b.*Init)(static_cast<unsigned>(v.size()));
  for (unsigned i = 0; i < list.size(); ++i) {
    const std::string p = indexPath(path, i);
    auto t = check(v[i], p);
    if (!t.isOk()) return t.status();
    for (unsigned k = 0; k < i; ++k) {
      if (v[k] == v[i]) return fail(p, quote(*t) + " is listed twice");
    }
    list.set(i, asText(*t));
  }
  return Status::ok();
}

Status setAmount(const Json& v, const std::string& path, ValueB& b) {
  if (!v.is_number()) return fail(path, "must be a number");
  const double amount = v.get<double>();
  if (!std::isfinite(amount)) return fail(path, "must be a finite number");
  if (amount < 0) return fail(path, "must not be negative");
  // An unsigned integer is compared before rounding: 2^53 + 1 would round
  // down to 2^53 and be stored as a different number without complaint.
  const bool tooLarge = v.is_number_unsigned() ? v.get<uint64_t>() > kMaxAmount
                                               : amount > static_cast<double>(kMaxAmount);
  if (tooLarge) return fail(path, "must be at most " + std::to_string(kMaxAmount));
  // -0.0 has other bits than 0.0; storing one zero keeps one encoding.
  b.setAmount(amount == 0 ? 0.0 : amount);
  return Status::ok();
}

const Field<PartyB> kBuyerFields[] = {
    {"name", true, setText<PartyB, &PartyB::setName, checkShortText>},
    {"orgnr", false, setText<PartyB, &PartyB::setOrgnr, checkOrgnr>},
    {"kommunenummer", false, setText<PartyB, &PartyB::setKommunenummer, checkKommunenummer>},
    {"role", false, setText<PartyB, &PartyB::setRole, checkRole>},
};
// Suppliers are companies: a kommunenummer on one is a mistake, not data.
const Field<PartyB> kSupplierFields[] = {
    {"name", true, setText<PartyB, &PartyB::setName, checkShortText>},
    {"orgnr", false, setText<PartyB, &PartyB::setOrgnr, checkOrgnr>},
    {"role", false, setText<PartyB, &PartyB::setRole, checkRole>},
};
const Field<ValueB> kValueFields[] = {
    {"amount", true, setAmount},
    {"currency", false, setText<ValueB, &ValueB::setCurrency, checkCurrency>},
};
const Field<DocumentB> kDocumentFields[] = {
    {"title", true, setText<DocumentB, &DocumentB::setTitle, checkShortText>},
    {"type", true, setText<DocumentB, &DocumentB::setType, checkDocumentType>},
    {"url", true, setText<DocumentB, &DocumentB::setUrl, checkUrl>},
    {"sha256", false, setText<DocumentB, &DocumentB::setSha256, checkSha256>},
};
const Field<ContactB> kContactFields[] = {
    {"role", false, setText<ContactB, &ContactB::setRole, checkShortText>},
    {"name", false, setText<ContactB, &ContactB::setName, checkShortText>},
    {"email", false, setText<ContactB, &ContactB::setEmail, checkEmail>},
};
const Field<RelatedB> kRelatedFields[] = {
    {"case", true, setText<RelatedB, &RelatedB::setCase, checkCaseRef>},
    {"relationship", true, setText<RelatedB, &RelatedB::setRelationship, checkRelationship>},
};

// The list is sized before its elements are checked; on failure the whole
// message is discarded, so a half-filled list never escapes.
Status setBuyers(const Json& v, const std::string& p, CaseB& b) {
  ALM_RETURN_IF_ERROR(checkList(v, p, kMaxParties));
  return fillEach(v, p, kBuyerFields, b.initBuyers(static_cast<unsigned>(v.size())));
}
Status setSuppliers(const Json& v, const std::string& p, CaseB& b) {
  ALM_RETURN_IF_ERROR(checkList(v, p, kMaxParties));
  return fillEach(v, p, kSupplierFields, b.initSuppliers(static_cast<unsigned>(v.size())));
}
Status setDocuments(const Json& v, const std::string& p, CaseB& b) {
  ALM_RETURN_IF_ERROR(checkList(v, p, kMaxDocuments));
  return fillEach(v, p, kDocumentFields, b.initDocuments(static_cast<unsigned>(v.size())));
}
Status setRelated(const Json& v, const std::string& p, CaseB& b) {
  ALM_RETURN_IF_ERROR(checkList(v, p, kMaxRelated));
  return fillEach(v, p, kRelatedFields, b.initRelated(static_cast<unsigned>(v.size())));
}
Status setValue(const Json& v, const std::string& p, CaseB& b) {
  ValueB value = b.initValue();
  return fillObject(v, p, kValueFields, value);
}
Status setContact(const Json& v, const std::string& p, CaseB& b) {
  ContactB contact = b.initContact();
  return fillObject(v, p, kContactFields, contact);
}

// The case fields in case-format order (the order decodeCase writes).
const Field<CaseB> kCaseFields[] = {
    {"id", true, setText<CaseB, &CaseB::setId, checkId>},
    {"title", true, setText<CaseB, &CaseB::setTitle, checkShortText>},
    {"summary", false, setText<CaseB, &CaseB::setSummary, checkLongText>},
    {"need", false, setText<CaseB, &CaseB::setNeed, checkLongText>},
    {"language", false, setText<CaseB, &CaseB::setLanguage, checkLanguage>},
    {"buyers", false, setBuyers},
    {"procedure", true, setText<CaseB, &CaseB::setProcedure, checkProcedure>},
    {"innovation_types", false,
     setTextList<&CaseB::initInnovationTypes, kMaxInnovationTypes, checkInnovationType>},
    {"cpv", false, setTextList<&CaseB::initCpv, kMaxCpv, checkCpv>},
    {"sector", false, setText<CaseB, &CaseB::setSector, checkSector>},
    {"status", true, setText<CaseB, &CaseB::setStatus, checkStatus>},
    {"started", false, setText<CaseB, &CaseB::setStarted, checkDate>},
    {"ended", false, setText<CaseB, &CaseB::setEnded, checkDate>},
    {"suppliers", false, setSuppliers},
    {"value", false, setValue},
    {"solution", false, setText<CaseB, &CaseB::setSolution, checkLongText>},
    {"results", false, setText<CaseB, &CaseB::setResults, checkLongText>},
    {"lessons_learned", false, setText<CaseB, &CaseB::setLessonsLearned, checkLongText>},
    {"documents", false, setDocuments},
    {"contact", false, setContact},
    {"doffin", false, setTextList<&CaseB::initDoffin, kMaxDoffin, checkDoffin>},
    {"related", false, setRelated},
    {"tags", false, setTextList<&CaseB::initTags, kMaxTags, checkTag>},
};

}  // namespace

Status buildCase(const Json& doc, schema::Case::Builder out) {
  if (!doc.is_object()) return fail("input", "must be a JSON object");
  ALM_RETURN_IF_ERROR(fillObject(doc, "", kCaseFields, out));
  // Both dates are valid YYYY-MM-DD by now, and such strings sort by date.
  auto started = doc.find("started"), ended = doc.find("ended");
  if (started != doc.end() && ended != doc.end() && *ended < *started) {
    return fail("ended", quote(ended->get_ref<const std::string&>()) + " is before started " +
                             quote(started->get_ref<const std::string&>()));
  }
  return Status::ok();
}

}  // namespace allmenning::case_json
