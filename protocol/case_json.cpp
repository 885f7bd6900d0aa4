// Entry points of the case JSON layer: text -> checked JSON -> canonical
// bytes, and canonical bytes -> JSON. The rules themselves live in
// case_json_write.cpp; this file deals with raw input, shared by every
// record format, and with the case's JSON form.
#include "protocol/case_json.h"

#include <capnp/message.h>

#include <algorithm>
#include <cstdint>
#include <set>
#include <vector>

#include "protocol/record_codec.h"

namespace allmenning::case_json {
namespace {

// Offset of the first byte that does not begin a well-formed UTF-8 sequence.
// UTF-8 is prefix-free: at most one length 1..4 starting at a given byte is a
// well-formed sequence, so asking rules::isValidUtf8 about short windows finds
// the bad byte without a second UTF-8 decoder that could disagree with it.
size_t firstInvalidUtf8Byte(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    size_t len = 1;
    while (len <= 4 && (i + len > s.size() || !rules::isValidUtf8(s.substr(i, len)))) ++len;
    if (len > 4) return i;
    i += len;
  }
  return i;
}

// A SAX handler that builds nothing. It reports syntax errors with nlohmann's
// position text and refuses duplicate object keys, which the DOM parser would
// silently merge (last one wins), hiding a value the author wrote.
class SyntaxChecker {
 public:
  bool null() { return value(); }
  bool boolean(bool) { return value(); }
  bool number_integer(Json::number_integer_t) { return value(); }
  bool number_unsigned(Json::number_unsigned_t) { return value(); }
  bool number_float(Json::number_float_t, const std::string&) { return value(); }
  bool string(std::string&) { return value(); }
  bool binary(Json::binary_t&) { return value(); }
  bool start_object(size_t) { return open(false); }
  bool start_array(size_t) { return open(true); }
  bool end_object() { return close(); }
  bool end_array() { return close(); }

  bool key(std::string& k) {
    Frame& f = frames_.back();
    f.key = k;
    if (f.keys.insert(k).second) return true;
    error_ = Status::invalid(path() + ": duplicate key");
    return false;
  }

  bool parse_error(size_t, const std::string&, const Json::exception& e) {
    // what() starts with "[json.exception.parse_error.101] "; users need
    // only the part after it, which holds the line and column.
    std::string what = e.what();
    const size_t cut = what.find("] ");
    if (cut != std::string::npos) what.erase(0, cut + 2);
    error_ = Status::invalid("input: malformed JSON: " + what);
    return false;
  }

  const Status& error() const { return error_; }

 private:
  struct Frame {
    bool isArray;
    size_t index = 0;            // next element, in arrays
    std::string key;             // current key, in objects
    std::set<std::string> keys;  // keys seen so far, in objects
  };

  bool open(bool isArray) {
    frames_.push_back(Frame{isArray, 0, {}, {}});
    return true;
  }
  bool close() {
    frames_.pop_back();
    return value();
  }
  // A complete value was read: in an array, the next one gets a new index.
  bool value() {
    if (!frames_.empty() && frames_.back().isArray) ++frames_.back().index;
    return true;
  }
  // The path of the current position, e.g. buyers[0].name.
  std::string path() const {
    std::string p;
    for (const Frame& f : frames_) {
      p = f.isArray ? indexPath(p, f.index) : keyPath(p, f.key);
    }
    return p;
  }

  std::vector<Frame> frames_;
  Status error_;
};

Json documentJson(schema::Document::Reader d) {
  Json out = Json::object();
  if (d.hasTitle()) out["title"] = textJson(d.getTitle());
  if (d.hasType()) out["type"] = textJson(d.getType());
  if (d.hasUrl()) out["url"] = textJson(d.getUrl());
  if (d.hasSha256()) out["sha256"] = textJson(d.getSha256());
  return out;
}

Json relatedJson(schema::Related::Reader r) {
  Json out = Json::object();
  if (r.hasCase()) out["case"] = textJson(r.getCase());
  if (r.hasRelationship()) out["relationship"] = textJson(r.getRelationship());
  return out;
}

// Whole amounts print as integers ("9000000", not "9000000.0"), so a file
// that wrote an integer gets an integer back. The rules cap amounts at 2^53,
// below which every integer is exact; anything else stays a double and is
// then judged by the rules.
Json amountJson(double amount) {
  constexpr double kExactIntegers = 9007199254740992.0;  // 2^53
  if (amount >= 0 && amount <= kExactIntegers &&
      amount == static_cast<double>(static_cast<uint64_t>(amount))) {
    return static_cast<uint64_t>(amount);
  }
  return amount;
}

Json valueJson(schema::Value::Reader v) {
  Json out = Json::object();
  out["amount"] = amountJson(v.getAmount());
  if (v.hasCurrency()) out["currency"] = textJson(v.getCurrency());
  return out;
}

// Plain identifiers print as they are; anything else is quoted, so that a
// key like "a.b" or "x[0]" cannot pass for a path of its own.
bool isPlainKey(std::string_view key) {
  auto plain = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
  };
  return !key.empty() && key.size() <= 64 && std::all_of(key.begin(), key.end(), plain);
}

}  // namespace

Json textJson(capnp::Text::Reader t) { return std::string(t.begin(), t.size()); }

Json textListJson(capnp::List<capnp::Text>::Reader list) {
  Json out = Json::array();
  for (auto t : list) out.push_back(textJson(t));
  return out;
}

Json partyJson(schema::Party::Reader p) {
  Json out = Json::object();
  if (p.hasName()) out["name"] = textJson(p.getName());
  if (p.hasOrgnr()) out["orgnr"] = textJson(p.getOrgnr());
  if (p.hasKommunenummer()) out["kommunenummer"] = textJson(p.getKommunenummer());
  if (p.hasRole()) out["role"] = textJson(p.getRole());
  return out;
}

Json contactJson(schema::Contact::Reader c) {
  Json out = Json::object();
  if (c.hasRole()) out["role"] = textJson(c.getRole());
  if (c.hasName()) out["name"] = textJson(c.getName());
  if (c.hasEmail()) out["email"] = textJson(c.getEmail());
  return out;
}

std::string keyPath(const std::string& parent, std::string_view key) {
  std::string shown = isPlainKey(key) ? std::string(key) : quote(key);
  return parent.empty() ? shown : parent + "." + shown;
}

std::string indexPath(const std::string& parent, size_t index) {
  return parent + "[" + std::to_string(index) + "]";
}

Json caseToJson(schema::Case::Reader c) {
  Json j = Json::object();
  if (c.hasId()) j["id"] = textJson(c.getId());
  if (c.hasTitle()) j["title"] = textJson(c.getTitle());
  if (c.hasSummary()) j["summary"] = textJson(c.getSummary());
  if (c.hasNeed()) j["need"] = textJson(c.getNeed());
  if (c.hasLanguage()) j["language"] = textJson(c.getLanguage());
  if (c.hasBuyers()) j["buyers"] = listJson(c.getBuyers(), partyJson);
  if (c.hasProcedure()) j["procedure"] = textJson(c.getProcedure());
  if (c.hasInnovationTypes()) j["innovation_types"] = textListJson(c.getInnovationTypes());
  if (c.hasCpv()) j["cpv"] = textListJson(c.getCpv());
  if (c.hasSector()) j["sector"] = textJson(c.getSector());
  if (c.hasStatus()) j["status"] = textJson(c.getStatus());
  if (c.hasStarted()) j["started"] = textJson(c.getStarted());
  if (c.hasEnded()) j["ended"] = textJson(c.getEnded());
  if (c.hasSuppliers()) j["suppliers"] = listJson(c.getSuppliers(), partyJson);
  if (c.hasValue()) j["value"] = valueJson(c.getValue());
  if (c.hasSolution()) j["solution"] = textJson(c.getSolution());
  if (c.hasResults()) j["results"] = textJson(c.getResults());
  if (c.hasLessonsLearned()) j["lessons_learned"] = textJson(c.getLessonsLearned());
  if (c.hasDocuments()) j["documents"] = listJson(c.getDocuments(), documentJson);
  if (c.hasContact()) j["contact"] = contactJson(c.getContact());
  if (c.hasDoffin()) j["doffin"] = textListJson(c.getDoffin());
  if (c.hasRelated()) j["related"] = listJson(c.getRelated(), relatedJson);
  if (c.hasTags()) j["tags"] = textListJson(c.getTags());
  return j;
}

Result<Json> parseRecordText(std::string_view text) {
  // Cheap checks first: nothing larger than the limit is even scanned.
  if (text.size() > kMaxCaseJsonBytes) {
    return Status::invalid("input: " + std::to_string(text.size()) +
                           " bytes exceeds the limit of " + std::to_string(kMaxCaseJsonBytes));
  }
  if (!rules::isValidUtf8(text)) {
    return Status::invalid("input: not valid UTF-8 at byte " +
                           std::to_string(firstInvalidUtf8Byte(text)));
  }
  // JSON text never holds a raw NUL, and the parser would stop reading at one,
  // quietly accepting whatever follows it.
  if (size_t nul = text.find('\0'); nul != std::string_view::npos) {
    return Status::invalid("input: NUL byte at byte " + std::to_string(nul));
  }
  SyntaxChecker checker;
  if (!Json::sax_parse(text, &checker)) {
    return checker.error().isOk() ? Status::invalid("input: malformed JSON") : checker.error();
  }
  // The text passed the strict SAX pass, so this parse cannot fail.
  Json doc = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return Status::invalid("input: malformed JSON");
  return doc;
}

}  // namespace allmenning::case_json

namespace allmenning {

Result<Bytes> caseFromJson(std::string_view text) {
  auto doc = case_json::parseRecordText(text);
  if (!doc.isOk()) return doc.status();
  return caseFromJsonValue(*doc);
}

Result<Bytes> caseFromJsonValue(const nlohmann::ordered_json& value) {
  return case_json::encodeAs<schema::Case>(value, case_json::buildCase, "case");
}

Result<nlohmann::ordered_json> decodeCase(ByteView payload) {
  return case_json::decodeAs<schema::Case>(payload, case_json::caseToJson, case_json::buildCase,
                                           "case");
}

Result<std::string> caseIdOf(ByteView payload) {
  return case_json::idOf<schema::Case>(payload, "case");
}

}  // namespace allmenning
