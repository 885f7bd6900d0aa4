// Needs and experiences, and one entry point for every record kind users
// write as JSON (docs/needs.md, docs/case-format.md).
//
//   need        "we are looking for this; who has done it?": id, title, need,
//               optional cpv, sector, buyers, contact
//   experience  another body's report on reusing a case: id, case
//               (<author-hex>/<id>), text, optional results
//
// Their fields follow the case format's rules with the very same checkers
// (an id is a case id, buyers are checked as a case's buyers, ...), and the
// same two gates as cases (protocol/case_json.h): recordFromJson for input
// from users and files (Status::invalid "<path>: <rule>"), decodeRecord for
// payloads from storage and peers (Status::corruption).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "protocol/bytes.h"
#include "protocol/entry.h"
#include "protocol/status.h"

namespace allmenning {

// Whether entries of `kind` carry a JSON record addressed by (author, id):
// case, need and experience. Only these can be retracted.
bool isRecordKind(Kind kind);

// Validates a file's text (UTF-8 JSON, one object, at most kMaxCaseJsonBytes)
// as a record of `kind` and returns its canonical payload.
Result<Bytes> recordFromJson(Kind kind, std::string_view text);
// The same for an already parsed value; its keys are checked in its order.
Result<Bytes> recordFromJsonValue(Kind kind, const nlohmann::ordered_json& value);
// The JSON form of a canonical payload of `kind`, keys in format order.
// Refuses, with Status::corruption, bytes that are not canonical or that
// break any rule recordFromJson enforces.
Result<nlohmann::ordered_json> decodeRecord(Kind kind, ByteView payload);
// The id in a canonical payload of `kind`; only the id itself is checked.
Result<std::string> recordIdOf(Kind kind, ByteView payload);

}  // namespace allmenning
