// Reverse references between records: the experiences about a case, and the
// cases that name it in their `related` list. They are derived from the live
// records, like the secondary indexes: Store::apply writes them and verify
// recomputes them, both through linkKeysOf.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "storage/store.h"

namespace allmenning {

// The relation under which an experience is filed at its case. It is no
// relationship code of the case format, so the two never mix.
inline constexpr std::string_view kExperienceRelation = "experience";

// "<64 lowercase hex>/<id>" as a key; nullopt when it is not a case ref.
std::optional<CaseKey> caseKeyOfRef(std::string_view ref);

// Every links key (keys::link) that the live record `source` of `kind` adds
// with `payload`: one at the case an experience is about, one per related
// entry of a case, none for a need. Decodes the payload with every rule.
Result<std::vector<std::string>> linkKeysOf(Kind kind, const CaseKey& source, ByteView payload);

}  // namespace allmenning
