// The building blocks shared by the record formats (case, need, experience):
// "checkers" that validate one JSON value and return its text, and templates
// that bind checkers to field names and Cap'n Proto setters. Each format is
// then a table of fields (case_json_write.cpp, record_json.cpp), so one
// rule, such as the orgnr check of a buyer, has one definition.
// Internal to protocol/.
#pragma once

#include <algorithm>
#include <limits>
#include <string>
#include <string_view>

#include "protocol/case_json_internal.h"

namespace allmenning::case_json {

using TextResult = Result<std::string_view>;
// Validates one JSON value at `path`; returns its text or the refusal.
using Check = TextResult (*)(const Json& v, const std::string& path);

// Limits: text in code points, lists in items. They keep a record readable
// and its payload bounded; docs/case-format.md lists them for users.
constexpr size_t kNoLimit = std::numeric_limits<size_t>::max();
constexpr size_t kMaxShortText = 300;   // titles, names, contact fields
constexpr size_t kMaxLongText = 20000;  // summary, need, solution, results, lessons
constexpr size_t kMaxParties = 50;
constexpr size_t kMaxCpv = 50;

// Status::invalid("<path>: <rule>").
Status fail(const std::string& path, const std::string& rule);

// `s` as Cap'n Proto text. Only whole std::strings may be passed, so that
// s.data()[s.size()] is the NUL that Text::Reader expects.
inline capnp::Text::Reader asText(std::string_view s) {
  return capnp::Text::Reader(s.data(), s.size());
}

// ---- Checkers (record_fields.cpp) -------------------------------------------

TextResult checkShortText(const Json& v, const std::string& p);  // 1..300, one line
TextResult checkLongText(const Json& v, const std::string& p);   // 1..20000, tab/LF/CR allowed
TextResult checkTag(const Json& v, const std::string& p);        // 1..60
TextResult checkId(const Json& v, const std::string& p);
TextResult checkDate(const Json& v, const std::string& p);
TextResult checkCpv(const Json& v, const std::string& p);
TextResult checkDoffin(const Json& v, const std::string& p);
TextResult checkLanguage(const Json& v, const std::string& p);
TextResult checkCurrency(const Json& v, const std::string& p);
TextResult checkSha256(const Json& v, const std::string& p);
TextResult checkUrl(const Json& v, const std::string& p);
TextResult checkEmail(const Json& v, const std::string& p);
TextResult checkCaseRef(const Json& v, const std::string& p);
TextResult checkOrgnr(const Json& v, const std::string& p);
TextResult checkKommunenummer(const Json& v, const std::string& p);
TextResult checkProcedure(const Json& v, const std::string& p);
TextResult checkSector(const Json& v, const std::string& p);
TextResult checkStatus(const Json& v, const std::string& p);
TextResult checkRole(const Json& v, const std::string& p);
TextResult checkInnovationType(const Json& v, const std::string& p);
TextResult checkDocumentType(const Json& v, const std::string& p);
TextResult checkRelationship(const Json& v, const std::string& p);

// ---- Binding checkers to builders ------------------------------------------

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
  for (const auto& kv : v.items()) {
    // Not a structured binding: clang before 16 cannot capture one in a lambda.
    const std::string& key = kv.key();
    const std::string p = keyPath(path, key);
    auto f = std::find_if(fields, fields + N, [&](auto& f) { return f.name == key; });
    if (f == fields + N) return fail(p, "unknown field");
    ALM_RETURN_IF_ERROR(f->set(kv.value(), p, b));
  }
  for (const auto& f : fields) {
    if (f.required && !v.contains(f.name)) return fail(keyPath(path, f.name), "is required");
  }
  return Status::ok();
}

// A whole record: `doc` must be an object whose keys follow `fields`.
template <typename B, size_t N>
Status fillRecord(const Json& doc, const Field<B> (&fields)[N], B& b) {
  if (!doc.is_object()) return fail("input", "must be a JSON object");
  return fillObject(doc, "", fields, b);
}

// An empty list is refused like an empty string: absence is the one way to
// say "none", so a record has exactly one JSON form and one encoding.
Status checkList(const Json& v, const std::string& path, size_t maxItems);

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
template <typename B, capnp::List<capnp::Text>::Builder (B::*Init)(unsigned), size_t MaxItems,
          Check check>
Status setTextList(const Json& v, const std::string& path, B& b) {
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

// The elements of a `buyers` list (name, orgnr, kommunenummer, role), and a
// `contact` object (role, name, email), wherever a record has one.
Status fillBuyers(const Json& v, const std::string& path, capnp::List<schema::Party>::Builder list);
Status fillContact(const Json& v, const std::string& path, schema::Contact::Builder b);

// The list is sized before its elements are checked; on failure the whole
// message is discarded, so a half-filled list never escapes.
template <typename B, capnp::List<schema::Party>::Builder (B::*Init)(unsigned)>
Status setBuyers(const Json& v, const std::string& path, B& b) {
  ALM_RETURN_IF_ERROR(checkList(v, path, kMaxParties));
  return fillBuyers(v, path, (b.*Init)(static_cast<unsigned>(v.size())));
}

template <typename B, schema::Contact::Builder (B::*Init)()>
Status setContact(const Json& v, const std::string& path, B& b) {
  return fillContact(v, path, (b.*Init)());
}

}  // namespace allmenning::case_json
