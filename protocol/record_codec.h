// The steps every JSON-facing record (case, need, experience) goes through
// between text, checked JSON and canonical Cap'n Proto bytes. Each format
// supplies only its `build` (rules -> builder) and `toJson` (reader -> JSON).
// Internal to protocol/.
#pragma once

#include <string>
#include <string_view>

#include "protocol/capnp_util.h"
#include "protocol/case_json_internal.h"
#include "protocol/case_rules.h"

namespace allmenning::case_json {

// The checks on a record file as a whole, before any field: its size, UTF-8,
// no NUL byte, JSON syntax and no duplicate keys. Returns the parsed document
// with its keys in document order. Errors start with "input:" or name the
// duplicate key's path.
Result<Json> parseRecordText(std::string_view text);

template <typename T>
using Build = Status (*)(const Json& doc, typename T::Builder out);
template <typename T>
using ToJson = Json (*)(typename T::Reader r);

// The canonical bytes of a T filled from `value` by `build`. `what` names the
// record in messages ("case").
template <typename T>
Result<Bytes> encodeAs(const Json& value, Build<T> build, const std::string& what) {
  capnp::MallocMessageBuilder message;
  auto root = message.initRoot<T>();
  ALM_RETURN_IF_ERROR(build(value, root));
  Bytes bytes = canonicalBytes(root.asReader());
  // Only reachable for values built in code: parsed text is capped well
  // below this, but a value has no size of its own to check up front.
  if (bytes.size() > kMaxPayloadBytes) {
    return Status::invalid("input: the encoded " + what + " takes " + std::to_string(bytes.size()) +
                           " bytes, more than the limit of " + std::to_string(kMaxPayloadBytes));
  }
  return bytes;
}

// Decodes canonical T bytes into JSON and re-applies the rules: a signature
// proves who wrote a payload, not that its content is valid. Refuses with
// Status::corruption.
template <typename T>
Result<Json> decodeAs(ByteView payload, ToJson<T> toJson, Build<T> build, const std::string& what) {
  auto doc = decodeCanonical<T>(payload, kMaxPayloadBytes, what + " payload", toJson);
  if (!doc.isOk()) return doc.status();
  auto again = encodeAs<T>(*doc, build, what);
  if (!again.isOk()) {
    return Status::corruption(what + " payload breaks a rule: " + again.status().message());
  }
  // Canonical Cap'n Proto can still carry what the rules would never write,
  // such as fields unknown to this schema or -0.0; one value, one encoding.
  ALM_RETURN_IF_ERROR(requireSameEncoding(payload, *again, what + " payload"));
  return doc;
}

// The id of a canonical T payload, without full validation: only the id
// itself is checked, since it becomes part of storage keys.
template <typename T>
Result<std::string> idOf(ByteView payload, const std::string& what) {
  // Reading Text checks its NUL terminator, which canonical form does not.
  auto id = decodeCanonical<T>(payload, kMaxPayloadBytes, what + " payload", [](auto r) {
    return std::string(r.getId().begin(), r.getId().size());
  });
  if (!id.isOk()) return id.status();
  if (!rules::isValidId(*id)) return Status::corruption(what + " payload: invalid or missing id");
  return id;
}

}  // namespace allmenning::case_json
