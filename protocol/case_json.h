// The case record: JSON as users write it <-> canonical Cap'n Proto payload.
//
// caseFromJson is the single gate for case input from users and files. It
// checks every rule of the case format (docs/case-format.md) and refuses the
// first violation with a message that names the field path and the rule, e.g.
//   buyers[0].orgnr: 958935421 fails the MOD11 check
// decodeCase is the gate for payloads from storage or peers: it decodes with
// bounded reader options and re-applies the same rules, so a payload signed by
// a valid key but holding an invalid record is still refused.
#pragma once

#include <nlohmann/json.hpp>
#include <string_view>

#include "protocol/bytes.h"
#include "protocol/status.h"

namespace allmenning {

// Largest record file (case, need, experience) accepted, in bytes, before any
// parsing is attempted.
constexpr size_t kMaxCaseJsonBytes = 256 * 1024;

// Validates `text` (must be UTF-8 JSON, one object) and returns the canonical
// bytes of schema::Case. Errors are Status::invalid with "<path>: <rule>".
Result<Bytes> caseFromJson(std::string_view text);

// The same for an already parsed JSON value (used by jsonl import). Object
// keys are checked in the value's own order, so the first violation reported
// is the first in the document. A plain nlohmann::json converts implicitly
// (its keys are then in alphabetical order). Strings are checked for UTF-8
// here too, since a value built in code never went through the parser.
Result<Bytes> caseFromJsonValue(const nlohmann::ordered_json& value);

// Decodes canonical schema::Case bytes into the JSON form (absent fields are
// omitted). The result is an ordered_json because key order is part of the
// output: it follows the case format (id, title, summary, ... tags), and
// nlohmann::json would sort keys alphabetically. Refuses, with
// Status::corruption, bytes that are not canonical or that break any rule
// caseFromJson enforces.
Result<nlohmann::ordered_json> decodeCase(ByteView payload);

// The case id stored in a canonical Case payload, without full validation
// (only the id itself is checked against the id pattern).
Result<std::string> caseIdOf(ByteView payload);

}  // namespace allmenning
