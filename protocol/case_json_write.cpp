// The rules of the case format (docs/case-format.md) applied to a parsed JSON
// document, filling a schema::Case builder as each field passes.
//
// Keys are visited in document order and the first violation ends the check,
// so the message always names the earliest problem in the user's file. Every
// field has a "checker" that validates one JSON value and returns its text;
// the tables below bind checkers to field names and Cap'n Proto setters.
#include <algorithm>
#include <cmath>
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

constexpr size_t kNoLimit = std::numeric_limits<size_t>::max();

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

TextResult checkShortText(const Json& v, const std::string& p) { return text(v, p, 300); }
TextResult checkLongText(const Json& v, const std::string& p) { return text(v, p, 20000, true); }
TextResult checkTag(const Json& v, const std::string& p) { return text(v, p, 60); }

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
  auto t = text(v, p, 300);
  if (t.isOk() && !isEmailAddress(*t)) return fail(p, quote(*t) + " is not an email address");
  return t;
}
TextResult checkUrl(const Json& v, const std::string& p) {
  auto t = text(v, p, 2000);
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
  const bool nineDigits =
      t->size() == 9 && std::all_of(t->begin(), t->end(), [](char c) { return c >= '0' && c <= '9'; });
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

Status setBuyers(const Json& v, const std::string& p, CaseB& b) {
  ALM_RETURN_IF_ERROR(checkList(v, p, 50));
  return fillEach(v, p, kBuyerFields, b.initBuyers(static_cast<unsigned>(v.size())));
}
Status setSuppliers(const Json& v, const std::string& p, CaseB& b) {
  ALM_RETURN_IF_ERROR(checkList(v, p, 50));
  return fillEach(v, p, kSupplierFields, b.initSuppliers(static_cast<unsigned>(v.size())));
}
Status setDocuments(const Json& v, const std::string& p, CaseB& b) {
  ALM_RETURN_IF_ERROR(checkList(v, p, 100));
  return fillEach(v, p, kDocumentFields, b.initDocuments(static_cast<unsigned>(v.size())));
}
Status setRelated(const Json& v, const std::string& p, CaseB& b) {
  ALM_RETURN_IF_ERROR(checkList(v, p, 50));
  return fillEach(v, p, kRelatedFields, b.initRelated(static_cast<unsigned>(v.size())));
}
Status setValue(const Json& v, const std::string& p, CaseB& b) {
  if (!v.is_object()) return fail(p, "must be an object");
  ValueB value = b.initValue();
  return fillObject(v, p, kValueFields, value);
}
Status setContact(const Json& v, const std::string& p, CaseB& b) {
  if (!v.is_object()) return fail(p, "must be an object");
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
    {"innovation_types", false, setTextList<&CaseB::initInnovationTypes, 8, checkInnovationType>},
    {"cpv", false, setTextList<&CaseB::initCpv, 50, checkCpv>},
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
    {"doffin", false, setTextList<&CaseB::initDoffin, 20, checkDoffin>},
    {"related", false, setRelated},
    {"tags", false, setTextList<&CaseB::initTags, 30, checkTag>},
};

// Plain identifiers print as they are; anything else is quoted.
bool isPlainKey(std::string_view key) {
  auto plain = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '-';
  };
  return !key.empty() && key.size() <= 64 && std::all_of(key.begin(), key.end(), plain);
}

}  // namespace

std::string keyPath(const std::string& parent, std::string_view key) {
  std::string shown = isPlainKey(key) ? std::string(key) : quote(key);
  return parent.empty() ? shown : parent + "." + shown;
}

std::string indexPath(const std::string& parent, size_t index) {
  return parent + "[" + std::to_string(index) + "]";
}

std::string quote(std::string_view s) {
  constexpr size_t kMaxShownBytes = 60;
  size_t cut = s.size();
  if (cut > kMaxShownBytes) {
    cut = kMaxShownBytes;
    // Back up to the start of a code point so the excerpt stays UTF-8.
    while (cut > 0 && (static_cast<uint8_t>(s[cut]) & 0xC0) == 0x80) --cut;
  }
  std::string out = Json(std::string(s.substr(0, cut)))
                        .dump(-1, ' ', false, Json::error_handler_t::replace);
  if (cut < s.size()) out.insert(out.size() - 1, "...");
  return out;
}

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
