// Storage format migrations (docs/operations.md, "Upgrades").
//
// The database records its storage format in meta "format". A build reads
// exactly kStorageFormat. An older database is brought up to it at open, one
// registered step N -> N+1 at a time, after a checkpoint of the database as
// it was, `<db>.format-N` beside the database folder, so a rollback to the
// older build is a rename. Each step commits its changes and its new format
// in one write, so a crash leaves the database at some whole format, and the
// next open goes on from there. A newer format is refused: a build never
// guesses at a layout it does not know.
#pragma once

#include <rocksdb/write_batch.h>

#include <string>
#include <vector>

#include "storage/families.h"

namespace allmenning {

constexpr int kStorageFormat = 2;

// What a step may touch: the open database, its families and its folder.
struct MigrationContext {
  rocksdb::DB& db;
  const Store::Families& cf;
  const std::string& dir;
};

struct MigrationStep {
  int from;          // the format it reads; it leaves format from + 1
  const char* what;  // one line, for the progress output and the log
  // Puts the step's changes into `batch`; the caller adds the new format and
  // commits it, synced.
  Status (*run)(MigrationContext& context, rocksdb::WriteBatch& batch);
};

// Every step, in order of `from`: 1 -> 2, 2 -> 3, ...
const std::vector<MigrationStep>& migrationSteps();

}  // namespace allmenning
