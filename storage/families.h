// Column family handles of an open Store (internal to storage/).
#pragma once

#include <rocksdb/db.h>

#include <memory>
#include <vector>

#include "storage/index_terms.h"
#include "storage/store.h"

namespace allmenning {

struct Store::Families {
  // Order matches kFamilyNames in store.cpp.
  rocksdb::ColumnFamilyHandle* entries = nullptr;
  rocksdb::ColumnFamilyHandle* payloads = nullptr;
  rocksdb::ColumnFamilyHandle* heads = nullptr;
  rocksdb::ColumnFamilyHandle* cases = nullptr;
  rocksdb::ColumnFamilyHandle* versions = nullptr;
  rocksdb::ColumnFamilyHandle* idxCpv = nullptr;
  rocksdb::ColumnFamilyHandle* idxProcedure = nullptr;
  rocksdb::ColumnFamilyHandle* idxSector = nullptr;
  rocksdb::ColumnFamilyHandle* idxStatus = nullptr;
  rocksdb::ColumnFamilyHandle* idxKommune = nullptr;
  rocksdb::ColumnFamilyHandle* profiles = nullptr;
  rocksdb::ColumnFamilyHandle* meta = nullptr;
  rocksdb::ColumnFamilyHandle* forks = nullptr;
  rocksdb::ColumnFamilyHandle* vouches = nullptr;
  rocksdb::ColumnFamilyHandle* trust = nullptr;
  rocksdb::ColumnFamilyHandle* peers = nullptr;
  rocksdb::ColumnFamilyHandle* needs = nullptr;
  rocksdb::ColumnFamilyHandle* experiences = nullptr;
  rocksdb::ColumnFamilyHandle* links = nullptr;
  rocksdb::ColumnFamilyHandle* distrusted = nullptr;
  // The state family of records of `kind`: case, need or experience.
  rocksdb::ColumnFamilyHandle* records(Kind kind) const {
    return kind == Kind::kNeed ? needs : kind == Kind::kExperience ? experiences : cases;
  }
  rocksdb::ColumnFamilyHandle* index(IndexFamily f) const {
    switch (f) {
      case IndexFamily::kCpv:
        return idxCpv;
      case IndexFamily::kProcedure:
        return idxProcedure;
      case IndexFamily::kSector:
        return idxSector;
      case IndexFamily::kStatus:
        return idxStatus;
      case IndexFamily::kKommune:
        return idxKommune;
    }
    return nullptr;
  }
  // Owns every handle above plus the default family's.
  std::vector<std::unique_ptr<rocksdb::ColumnFamilyHandle>> owned;
};

// The value of a `forks` key (see store.h), and back. Headers are at most
// 256 bytes, so one 16-bit length separates them.
std::string encodeForkValue(const ForkProof& proof);
Result<ForkProof> decodeForkValue(std::string_view value);

// The value of a `cases`, `needs` or `experiences` key (keys::caseValue);
// `family` names it in the error.
Result<CaseState> decodeCaseValue(std::string_view value, const std::string& family);

// The meta key of the database folder's placement, and its value.
constexpr const char* kPlacementKey = "placement";
std::string encodePlacement(const DbPlacement& p);

// Converts a RocksDB status into ours, naming what was being done.
Status fromRocks(const rocksdb::Status& s, const std::string& what);

// Writes `batch`, resuming the database first when an earlier write left it
// stopped (see store.cpp). Every write of the store goes through here.
Status writeBatch(rocksdb::DB& db, rocksdb::WriteBatch& batch, bool sync, const std::string& what);

}  // namespace allmenning
