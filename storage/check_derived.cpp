// Store::checkDerived: the derived column families against what the logs say.
#include <rocksdb/db.h>

#include "storage/families.h"
#include "storage/keys.h"
#include "storage/pinned_reads.h"
#include "storage/store.h"

namespace allmenning {
namespace {

std::string printable(std::string_view key) {
  // Keys start with a 32-byte author; show it in hex, the rest as text.
  if (key.size() < 32) return toHex(view(key));
  return toHex(view(key.substr(0, 32))) + "/" + std::string(key.substr(32));
}

// A links key as target <- relation <- source, both as <author-hex>/<id>.
std::string printableLink(std::string_view key) {
  // The target's author is 32 raw bytes and may hold a zero byte itself.
  const size_t a = key.size() > 32 ? key.find('\0', 32) : std::string_view::npos;
  const size_t b = a == std::string_view::npos ? a : key.find('\0', a + 1);
  if (b == std::string_view::npos) return printable(key);
  return printable(key.substr(0, a)) + " <- " + std::string(key.substr(a + 1, b - a - 1)) + " <- " +
         printable(key.substr(b + 1));
}

// Walks one family and checks that its keys are exactly `expected`.
template <typename Check>
Status compareFamily(rocksdb::DB& db, rocksdb::ColumnFamilyHandle* cf, size_t expectedCount,
                     Check&& check) {
  std::unique_ptr<rocksdb::Iterator> it(db.NewIterator(readOptionsFor(db), cf));
  size_t seen = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next(), ++seen) {
    ALM_RETURN_IF_ERROR(check(it->key().ToStringView(), it->value().ToStringView()));
  }
  ALM_RETURN_IF_ERROR(fromRocks(it->status(), "reading " + cf->GetName()));
  if (seen != expectedCount) {
    return Status::corruption(cf->GetName() + " holds " + std::to_string(seen) +
                              " keys but the logs call for " + std::to_string(expectedCount));
  }
  return Status::ok();
}

// A family whose every value is the seq (BE64) of the entry that set it.
Status compareSeqFamily(rocksdb::DB& db, rocksdb::ColumnFamilyHandle* cf,
                        const std::map<std::string, uint64_t>& expected) {
  return compareFamily(db, cf, expected.size(), [&](std::string_view k, std::string_view v) {
    auto it = expected.find(std::string(k));
    bool same = it != expected.end() && v.size() == 8 && readBigEndian64(v) == it->second;
    return same ? Status::ok()
                : Status::corruption(cf->GetName() + ": " + printable(k) +
                                     " does not match the log");
  });
}

// A family of record states (cases, needs, experiences): the seq and the
// retracted flag must match; receivedAt is this node's own clock.
Status compareStateFamily(rocksdb::DB& db, rocksdb::ColumnFamilyHandle* cf,
                          const std::map<std::string, CaseState>& expected) {
  return compareFamily(db, cf, expected.size(), [&](std::string_view k, std::string_view v) {
    auto it = expected.find(std::string(k));
    bool same = it != expected.end() && v.size() == 17 && readBigEndian64(v) == it->second.seq &&
                (v[8] != 0) == it->second.retracted;
    return same ? Status::ok()
                : Status::corruption(cf->GetName() + ": " + printable(k) +
                                     " does not match the log");
  });
}

// A family of empty values whose keys must be exactly `expected`.
Status compareKeyFamily(rocksdb::DB& db, rocksdb::ColumnFamilyHandle* cf,
                        const std::set<std::string>& expected,
                        std::string (*show)(std::string_view) = printable) {
  return compareFamily(db, cf, expected.size(), [&](std::string_view k, std::string_view) {
    return expected.count(std::string(k))
               ? Status::ok()
               : Status::corruption(cf->GetName() + ": unexpected key " + show(k));
  });
}

}  // namespace

Status Store::checkDerived(const DerivedState& expected) const {
  ALM_RETURN_IF_ERROR(compareStateFamily(*db_, cf_->cases, expected.cases));
  ALM_RETURN_IF_ERROR(compareStateFamily(*db_, cf_->needs, expected.needs));
  ALM_RETURN_IF_ERROR(compareStateFamily(*db_, cf_->experiences, expected.experiences));
  ALM_RETURN_IF_ERROR(compareKeyFamily(*db_, cf_->versions, expected.versions));
  ALM_RETURN_IF_ERROR(compareKeyFamily(*db_, cf_->links, expected.links, printableLink));
  ALM_RETURN_IF_ERROR(compareSeqFamily(*db_, cf_->profiles, expected.profiles));
  ALM_RETURN_IF_ERROR(compareSeqFamily(*db_, cf_->vouches, expected.vouches));
  for (IndexFamily f : kIndexFamilies) {
    size_t count = 0;
    for (const auto& [family, key] : expected.indexKeys) count += family == static_cast<int>(f);
    auto* cf = cf_->index(f);
    ALM_RETURN_IF_ERROR(compareFamily(*db_, cf, count, [&](std::string_view k, std::string_view) {
      return expected.indexKeys.count({static_cast<int>(f), std::string(k)})
                 ? Status::ok()
                 : Status::corruption(cf->GetName() +
                                      ": unexpected key for a case that is not "
                                      "live with that value");
    }));
  }
  return Status::ok();
}

}  // namespace allmenning
