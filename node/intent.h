// The signing intent: the last batch of entries this node's key signed,
// written durably beside the key before the batch is committed to the
// database, and kept until the next batch replaces it.
//
// It claims each seq for one exact signed entry before anything about that
// entry is acknowledged or announced. It lives outside the database, so
// losing or restoring only the database is noticed (docs/architecture.md).
//
// Format, one line each, text:
//   allmenning-intent v1
//   <base64 header> <hex signature> <base64 payload>     (one per entry)
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "protocol/entry.h"
#include "protocol/status.h"

namespace allmenning {

// The file's text, and back. decodeIntent refuses damaged text ("damaged:
// ...", "damaged at entry N: ..."): every entry must decode and belong to
// one chain. Pure: the fuzz target fuzz_intent runs exactly this.
std::string encodeIntent(const std::vector<Entry>& entries);
Result<std::vector<Entry>> decodeIntent(std::string_view text);

Status writeIntent(const std::string& path, const std::vector<Entry>& entries);
// The entries of the intent file; empty when none was ever written. Refuses a
// damaged file: every entry must decode and belong to one chain.
Result<std::vector<Entry>> readIntent(const std::string& path);

}  // namespace allmenning
