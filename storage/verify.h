// Full re-verification of a store: every signature, hash link and payload
// hash, every payload against its kind's rules, the heads, cases, versions
// and indexes against the logs, every stored fork proof, and every RocksDB
// block checksum.
#pragma once

#include <functional>

#include "storage/store.h"

namespace allmenning {

struct VerifyReport {
  uint64_t entries = 0;
  uint64_t authors = 0;
  uint64_t cases = 0;  // case states recomputed from the logs and matched
  uint64_t forks = 0;  // fork proofs that verified
};

// Returns the report, or the first problem found, naming the entry as
// "<author-hex>/<seq>". `progress` is called every 10,000 entries.
Result<VerifyReport> verifyStore(const Store& store,
                                 const std::function<void(uint64_t)>& progress = {});

}  // namespace allmenning
