// The store's own facts beside the logs: where its folder lives, the
// authoring hold, and checkpoints (store.h).
#include <fcntl.h>
#include <rocksdb/utilities/checkpoint.h>
#include <rocksdb/write_batch.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include "storage/families.h"

namespace allmenning {
namespace {

constexpr const char* kHoldKey = "authoring_hold";

}  // namespace

std::string encodePlacement(const DbPlacement& p) {
  std::string v;
  appendBigEndian64(v, p.inode);
  appendBigEndian64(v, static_cast<uint64_t>(p.birthNs));
  return v;
}

Result<DbPlacement> placementOf(const std::string& dir) {
  struct statx sx {};
  if (::statx(AT_FDCWD, dir.c_str(), 0, STATX_INO | STATX_BTIME, &sx) != 0) {
    return Status::ioError("reading " + dir + ": " + std::strerror(errno));
  }
  DbPlacement p;
  p.inode = sx.stx_ino;
  if (sx.stx_mask & STATX_BTIME) {
    p.birthNs = static_cast<int64_t>(sx.stx_btime.tv_sec) * 1'000'000'000 + sx.stx_btime.tv_nsec;
  }
  return p;
}

Result<std::optional<DbPlacement>> Store::placement() const {
  auto v = get(cf_->meta, kPlacementKey);
  if (!v.isOk()) return v.status();
  if (!*v) return std::optional<DbPlacement>();
  if ((*v)->size() != 16) return Status::corruption("meta: malformed placement");
  return std::optional<DbPlacement>(
      DbPlacement{readBigEndian64(**v), static_cast<int64_t>(readBigEndian64((*v)->substr(8)))});
}

Result<std::optional<AuthoringHold>> Store::authoringHold() const {
  auto v = get(cf_->meta, kHoldKey);
  if (!v.isOk()) return v.status();
  if (!*v) return std::optional<AuthoringHold>();
  if ((*v)->size() < 8) return Status::corruption("meta: malformed authoring hold");
  return std::optional<AuthoringHold>(
      AuthoringHold{static_cast<int64_t>(readBigEndian64(**v)), (*v)->substr(8)});
}

Status Store::setAuthoringHold(const std::optional<AuthoringHold>& hold,
                               const std::optional<DbPlacement>& placement) {
  rocksdb::WriteBatch batch;
  if (hold) {
    std::string v;
    appendBigEndian64(v, static_cast<uint64_t>(hold->since));
    batch.Put(cf_->meta, kHoldKey, v + hold->reason);
  } else {
    batch.Delete(cf_->meta, kHoldKey);
  }
  if (placement) batch.Put(cf_->meta, kPlacementKey, encodePlacement(*placement));
  std::lock_guard lock(writeMu_);
  return writeBatch(*db_, batch, /*sync=*/true, "recording the authoring hold");
}

Status Store::checkpoint(const std::string& dir) {
  rocksdb::Checkpoint* raw = nullptr;
  ALM_RETURN_IF_ERROR(fromRocks(rocksdb::Checkpoint::Create(db_.get(), &raw), "checkpoint"));
  std::unique_ptr<rocksdb::Checkpoint> cp(raw);
  // 0: always flush first, so the copy is whole without a log to replay.
  return fromRocks(cp->CreateCheckpoint(dir, /*log_size_for_flush=*/0),
                   "writing a checkpoint to " + dir);
}

}  // namespace allmenning
