// The read options of every read the store makes: pinned to a snapshot on a
// thread that holds a Store::PinnedReads, the latest state otherwise.
// Internal to storage/.
#pragma once

#include <rocksdb/db.h>
#include <rocksdb/options.h>

namespace allmenning {

// ReadOptions for a read of `db` on the calling thread.
rocksdb::ReadOptions readOptionsFor(const rocksdb::DB& db);

}  // namespace allmenning
