// Trust, vouches and the peer list at rest (docs/protocol.md, "Trust").
// Entries are admitted by Store::apply (apply.cpp), which asks accepts().
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include "storage/families.h"
#include "storage/keys.h"
#include "storage/pinned_reads.h"
#include "storage/store.h"

namespace allmenning {
namespace {

Status syncWrite(rocksdb::DB& db, rocksdb::WriteBatch& batch, const std::string& what) {
  return writeBatch(db, batch, /*sync=*/true, what);
}

// Calls `fn(key, value)` for every key of `cf` in order.
template <typename F>
Status scan(rocksdb::DB& db, rocksdb::ColumnFamilyHandle* cf, F&& fn) {
  std::unique_ptr<rocksdb::Iterator> it(db.NewIterator(readOptionsFor(db), cf));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    ALM_RETURN_IF_ERROR(fn(it->key().ToStringView(), it->value().ToStringView()));
  }
  return fromRocks(it->status(), "reading " + cf->GetName());
}

Result<PublicKey> keyAt(std::string_view key, size_t offset, const std::string& family) {
  auto k = key.size() >= offset + 32 ? toFixed<32>(view(key.substr(offset, 32))) : std::nullopt;
  if (!k) return Status::corruption(family + ": malformed key");
  return *k;
}

}  // namespace

Status Store::loadTrust() {
  std::set<PublicKey> trusted, distrusted;
  std::map<PublicKey, std::set<PublicKey>> vouchers, vouchees;
  ALM_RETURN_IF_ERROR(scan(*db_, cf_->trust, [&](std::string_view k, std::string_view) -> Status {
    auto key = keyAt(k, 0, "trust");
    if (!key.isOk()) return key.status();
    trusted.insert(*key);
    return Status::ok();
  }));
  ALM_RETURN_IF_ERROR(
      scan(*db_, cf_->distrusted, [&](std::string_view k, std::string_view) -> Status {
        auto key = keyAt(k, 0, "distrusted");
        if (!key.isOk()) return key.status();
        distrusted.insert(*key);
        return Status::ok();
      }));
  ALM_RETURN_IF_ERROR(scan(*db_, cf_->vouches, [&](std::string_view k, std::string_view) -> Status {
    auto vouchee = keyAt(k, 0, "vouches");
    auto voucher = keyAt(k, 32, "vouches");
    if (!vouchee.isOk() || !voucher.isOk() || k.size() != 64) {
      return Status::corruption("vouches: malformed key");
    }
    vouchers[*vouchee].insert(*voucher);
    vouchees[*voucher].insert(*vouchee);
    return Status::ok();
  }));
  // The family holds no order, so a voucher over the cap has its log read
  // for the first keys it vouched for.
  for (auto& [voucher, keys] : vouchees) {
    if (keys.size() <= maxVouched_) continue;
    auto first = firstVouchees(voucher);
    if (!first.isOk()) return first.status();
    keys = std::move(*first);
  }
  std::lock_guard lock(stateMu_);
  trusted_ = std::move(trusted);
  distrusted_ = std::move(distrusted);
  vouchers_ = std::move(vouchers);
  admitted_.clear();
  for (const auto& [voucher, keys] : vouchees) {
    for (const PublicKey& key : keys) admitLocked(voucher, key);
  }
  return Status::ok();
}

Result<std::set<PublicKey>> Store::firstVouchees(const PublicKey& voucher) const {
  std::set<PublicKey> out;
  auto head = this->head(voucher);
  if (!head.isOk()) return head.status();
  for (uint64_t seq = 1; seq <= head->seq && out.size() < maxVouched_; ++seq) {
    auto e = entry(voucher, seq);
    if (!e.isOk()) return e.status();
    if (!*e || !(*e)->payload || (*e)->header.kind != Kind::kVouch) continue;
    auto v = decodeVouch(*(*e)->payload);
    if (!v.isOk()) return v.status();
    out.insert(v->key);
  }
  return out;
}

Status Store::setMaxVouchedPerVoucher(size_t cap, StoreProgress warn) {
  std::lock_guard writer(writeMu_);
  {
    std::lock_guard lock(stateMu_);
    maxVouched_ = cap;
    vouchWarn_ = std::move(warn);
  }
  return loadTrust();
}

size_t Store::admittedBy(const PublicKey& voucher) const {
  std::lock_guard lock(stateMu_);
  auto it = admitted_.find(voucher);
  return it == admitted_.end() ? 0 : it->second.size();
}

void Store::admitLocked(const PublicKey& voucher, const PublicKey& vouchee) {
  std::set<PublicKey>& keys = admitted_[voucher];
  if (keys.size() >= maxVouched_ || !keys.insert(vouchee).second) return;
  if (!vouchWarn_) return;
  const size_t n = keys.size();
  const std::string who = "voucher " + toHex(voucher).substr(0, 16) + " ";
  const std::string cap = " of max_vouched_per_voucher = " + std::to_string(maxVouched_);
  if (n == maxVouched_) {
    vouchWarn_("warning: " + who + "has reached the cap: " + std::to_string(n) + cap +
               "; its further vouches admit no one");
  } else if (n == maxVouched_ * 8 / 10) {
    vouchWarn_("warning: " + who + "admits " + std::to_string(n) + " keys, 80 %" + cap +
               "; raise it if this voucher is a hub");
  }
}

bool Store::admitsLocked(const PublicKey& voucher, const PublicKey& vouchee) const {
  auto it = admitted_.find(voucher);
  return it != admitted_.end() && it->second.count(vouchee) != 0;
}

Status Store::trust(const PublicKey& key, const std::string& name) {
  std::lock_guard writer(writeMu_);
  rocksdb::WriteBatch batch;
  batch.Put(cf_->trust, keys::author(key), name);
  batch.Delete(cf_->distrusted, keys::author(key));
  ALM_RETURN_IF_ERROR(syncWrite(*db_, batch, "writing trust"));
  std::lock_guard lock(stateMu_);
  trusted_.insert(key);
  distrusted_.erase(key);
  return Status::ok();
}

Result<bool> Store::distrust(const PublicKey& key) {
  std::lock_guard writer(writeMu_);
  if (!trusts(key)) return false;
  rocksdb::WriteBatch batch;
  batch.Delete(cf_->trust, keys::author(key));
  batch.Put(cf_->distrusted, keys::author(key), "");
  ALM_RETURN_IF_ERROR(syncWrite(*db_, batch, "writing trust"));
  std::lock_guard lock(stateMu_);
  trusted_.erase(key);
  distrusted_.insert(key);
  return true;
}

Result<std::vector<TrustedKey>> Store::trusted() const {
  std::vector<TrustedKey> out;
  ALM_RETURN_IF_ERROR(scan(*db_, cf_->trust, [&](std::string_view k, std::string_view v) -> Status {
    auto key = keyAt(k, 0, "trust");
    if (!key.isOk()) return key.status();
    out.push_back({*key, std::string(v)});
    return Status::ok();
  }));
  return out;
}

Result<std::optional<std::string>> Store::trustName(const PublicKey& key) const {
  return get(cf_->trust, keys::author(key));
}

bool Store::distrusted(const PublicKey& key) const {
  std::lock_guard lock(stateMu_);
  return distrusted_.count(key) != 0;
}

bool Store::trusts(const PublicKey& key) const {
  std::lock_guard lock(stateMu_);
  return trusted_.count(key) != 0;
}

bool Store::accepts(const PublicKey& author) const {
  std::lock_guard lock(stateMu_);
  return acceptsLocked(author);
}

bool Store::acceptsLocked(const PublicKey& author) const {
  if (trusted_.count(author)) return true;
  auto it = vouchers_.find(author);
  if (it == vouchers_.end()) return false;
  for (const PublicKey& voucher : it->second) {
    if (trusted_.count(voucher) && admitsLocked(voucher, author)) return true;
  }
  return false;
}

std::vector<PublicKey> Store::vouchersOf(const PublicKey& key) const {
  std::lock_guard lock(stateMu_);
  auto it = vouchers_.find(key);
  if (it == vouchers_.end()) return {};
  return {it->second.begin(), it->second.end()};
}

Result<std::optional<StoredVouch>> Store::vouch(const PublicKey& vouchee,
                                                const PublicKey& voucher) const {
  auto v = get(cf_->vouches, keys::vouch(vouchee, voucher));
  if (!v.isOk()) return v.status();
  if (!*v) return std::optional<StoredVouch>();
  if ((*v)->size() != 8) return Status::corruption("vouches: malformed value");
  const uint64_t seq = readBigEndian64(**v);
  auto e = entry(voucher, seq);
  if (!e.isOk()) return e.status();
  if (!*e || !(*e)->payload || (*e)->header.kind != Kind::kVouch) {
    return Status::corruption("vouches: seq " + std::to_string(seq) + " of " + toHex(voucher) +
                              " holds no vouch");
  }
  auto record = decodeVouch(*(*e)->payload);
  if (!record.isOk()) return record.status();
  return std::optional<StoredVouch>(StoredVouch{seq, std::move(*record)});
}

Status Store::addPeer(const PeerAddress& peer) {
  rocksdb::WriteBatch batch;
  batch.Put(cf_->peers, keys::author(peer.key), peer.address);
  return syncWrite(*db_, batch, "writing peers");
}

Result<bool> Store::removePeer(const PublicKey& key) {
  auto v = get(cf_->peers, keys::author(key));
  if (!v.isOk()) return v.status();
  if (!*v) return false;
  rocksdb::WriteBatch batch;
  batch.Delete(cf_->peers, keys::author(key));
  ALM_RETURN_IF_ERROR(syncWrite(*db_, batch, "writing peers"));
  return true;
}

Result<std::vector<PeerAddress>> Store::peers() const {
  std::vector<PeerAddress> out;
  ALM_RETURN_IF_ERROR(scan(*db_, cf_->peers, [&](std::string_view k, std::string_view v) -> Status {
    auto key = keyAt(k, 0, "peers");
    if (!key.isOk()) return key.status();
    out.push_back({*key, std::string(v)});
    return Status::ok();
  }));
  return out;
}

}  // namespace allmenning
