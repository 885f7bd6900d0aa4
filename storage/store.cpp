#include "storage/store.h"

#include <rocksdb/options.h>

#include "storage/families.h"
#include "storage/keys.h"
#include "protocol/records.h"

namespace allmenning {
namespace {

constexpr const char* kFamilyNames[] = {
    "entries",   "payloads",  "heads",       "cases",      "versions", "idx_cpv",
    "idx_procedure", "idx_sector", "idx_status", "idx_kommune", "profiles", "meta"};
constexpr std::string_view kFormatVersion = "1";

rocksdb::Options databaseOptions() {
  rocksdb::Options o;
  o.create_if_missing = true;
  o.create_missing_column_families = true;
  o.paranoid_checks = true;
  o.max_open_files = 256;
  o.keep_log_file_num = 4;
  return o;
}

}  // namespace

Status fromRocks(const rocksdb::Status& s, const std::string& what) {
  if (s.ok()) return Status::ok();
  if (s.IsCorruption()) return Status::corruption(what + ": " + s.ToString());
  if (s.IsIOError() && s.ToString().find("lock") != std::string::npos) {
    return Status::refused(what + ": the database is in use by another process (" +
                           s.ToString() + ")");
  }
  return Status::ioError(what + ": " + s.ToString());
}

Store::Store(const Hash& network, std::unique_ptr<rocksdb::DB> db, std::unique_ptr<Families> cf)
    : network_(network), db_(std::move(db)), cf_(std::move(cf)) {}

Store::~Store() {
  // Handles must be released before the DB that issued them.
  cf_->owned.clear();
  db_.reset();
}

Result<std::unique_ptr<Store>> Store::open(const std::string& dir, const Hash& network) {
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  descriptors.emplace_back(rocksdb::kDefaultColumnFamilyName, rocksdb::ColumnFamilyOptions());
  for (const char* name : kFamilyNames) {
    descriptors.emplace_back(name, rocksdb::ColumnFamilyOptions());
  }
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  Status st = fromRocks(rocksdb::DB::Open(databaseOptions(), dir, descriptors, &handles, &raw),
                        "opening database " + dir);
  if (!st.isOk()) return st;
  std::unique_ptr<rocksdb::DB> db(raw);
  auto cf = std::make_unique<Families>();
  for (auto* h : handles) cf->owned.emplace_back(h);
  rocksdb::ColumnFamilyHandle** slots[] = {
      &cf->entries,   &cf->payloads,     &cf->heads,     &cf->cases,
      &cf->versions,  &cf->idxCpv,       &cf->idxProcedure, &cf->idxSector,
      &cf->idxStatus, &cf->idxKommune,   &cf->profiles,  &cf->meta};
  for (size_t i = 0; i < std::size(slots); ++i) *slots[i] = handles[i + 1];

  std::string format;
  auto s = db->Get(rocksdb::ReadOptions(), cf->meta, "format", &format);
  if (s.IsNotFound()) {
    rocksdb::WriteOptions sync;
    sync.sync = true;
    st = fromRocks(db->Put(sync, cf->meta, "format", std::string(kFormatVersion)),
                   "writing format version");
  } else if (s.ok() && format != kFormatVersion) {
    st = Status::refused("database " + dir + " has format version " + format +
                         "; this build reads version " + std::string(kFormatVersion));
  } else {
    st = fromRocks(s, "reading format version");
  }
  if (!st.isOk()) {
    cf->owned.clear();
    return st;
  }
  return std::unique_ptr<Store>(new Store(network, std::move(db), std::move(cf)));
}

Result<std::optional<std::string>> Store::get(rocksdb::ColumnFamilyHandle* cf,
                                              const std::string& key) const {
  std::string value;
  auto s = db_->Get(rocksdb::ReadOptions(), cf, key, &value);
  if (s.IsNotFound()) return std::optional<std::string>();
  Status st = fromRocks(s, "reading " + cf->GetName());
  if (!st.isOk()) return st;
  return std::optional<std::string>(std::move(value));
}

Result<Head> Store::head(const PublicKey& author) const {
  auto v = get(cf_->heads, keys::author(author));
  if (!v.isOk()) return v.status();
  if (!*v) return Head{};
  if ((*v)->size() != 40) return Status::corruption("heads: malformed value");
  Head h;
  h.seq = readBigEndian64(**v);
  std::copy((*v)->begin() + 8, (*v)->end(), h.hash.begin());
  return h;
}

Result<std::optional<Entry>> Store::entry(const PublicKey& author, uint64_t seq) const {
  auto v = get(cf_->entries, keys::entry(author, seq));
  if (!v.isOk()) return v.status();
  if (!*v) return std::optional<Entry>();
  ByteView raw = view(**v);
  if (raw.size() <= 64) return Status::corruption("entries: value too short");
  auto e = entryFromParts(raw.subspan(64), raw.first(64), std::nullopt);
  if (!e.isOk()) return e.status();
  auto payload = get(cf_->payloads, keys::author(e->hash));
  if (!payload.isOk()) return payload.status();
  if (*payload) e->payload = Bytes((*payload)->begin(), (*payload)->end());
  return std::optional<Entry>(std::move(*e));
}

Result<std::vector<PublicKey>> Store::authors() const {
  std::vector<PublicKey> out;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), cf_->heads));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    auto key = toFixed<32>(view(it->key().ToStringView()));
    if (!key) return Status::corruption("heads: malformed key");
    out.push_back(*key);
  }
  ALM_RETURN_IF_ERROR(fromRocks(it->status(), "listing authors"));
  return out;
}

Result<std::optional<CaseState>> Store::caseState(const CaseKey& key) const {
  auto v = get(cf_->cases, keys::caseKey(key.author, key.id));
  if (!v.isOk()) return v.status();
  if (!*v) return std::optional<CaseState>();
  if ((*v)->size() != 9) return Status::corruption("cases: malformed value");
  return std::optional<CaseState>(CaseState{readBigEndian64(**v), (**v)[8] != 0});
}

Result<std::vector<uint64_t>> Store::caseVersions(const CaseKey& key) const {
  std::string prefix = keys::versionsPrefix(key.author, key.id);
  std::vector<uint64_t> out;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), cf_->versions));
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    if (it->key().size() != prefix.size() + 8) return Status::corruption("versions: bad key");
    out.push_back(readBigEndian64(it->key().ToStringView().substr(prefix.size())));
  }
  ALM_RETURN_IF_ERROR(fromRocks(it->status(), "listing versions"));
  return out;
}

Result<std::optional<std::string>> Store::authorName(const PublicKey& author) const {
  auto v = get(cf_->profiles, keys::author(author));
  if (!v.isOk()) return v.status();
  if (!*v) return std::optional<std::string>();
  if ((*v)->size() != 8) return Status::corruption("profiles: malformed value");
  auto e = entry(author, readBigEndian64(**v));
  if (!e.isOk()) return e.status();
  if (!*e || !(*e)->payload) return std::optional<std::string>();
  auto profile = decodeProfile(*(*e)->payload);
  if (!profile.isOk()) return profile.status();
  return std::optional<std::string>(profile->name);
}

Status Store::reserve(const PublicKey& author, Reservation r) {
  std::string v;
  appendBigEndian64(v, r.from);
  appendBigEndian64(v, r.to);
  rocksdb::WriteOptions sync;
  sync.sync = true;
  return fromRocks(db_->Put(sync, cf_->meta, "reserve" + keys::author(author), v),
                   "reserving seqs");
}

Result<std::optional<Reservation>> Store::reservation(const PublicKey& author) const {
  auto v = get(cf_->meta, "reserve" + keys::author(author));
  if (!v.isOk()) return v.status();
  if (!*v) return std::optional<Reservation>();
  if ((*v)->size() != 16) return Status::corruption("meta: malformed reservation");
  return std::optional<Reservation>(
      Reservation{readBigEndian64(**v), readBigEndian64((*v)->substr(8))});
}

Status Store::forEachEntry(const std::function<Status(Result<Entry>)>& fn) const {
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), cf_->entries));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    ByteView raw = view(it->value().ToStringView());
    Result<Entry> e = raw.size() <= 64
                          ? Result<Entry>(Status::corruption("entries: value too short"))
                          : entryFromParts(raw.subspan(64), raw.first(64), std::nullopt);
    if (e.isOk()) {
      auto payload = get(cf_->payloads, keys::author(e->hash));
      if (!payload.isOk()) return payload.status();
      if (*payload) e->payload = Bytes((*payload)->begin(), (*payload)->end());
    }
    ALM_RETURN_IF_ERROR(fn(std::move(e)));
  }
  return fromRocks(it->status(), "reading entries");
}

Status Store::verifyChecksums() const {
  return fromRocks(db_->VerifyChecksum(), "verifying RocksDB checksums");
}

}  // namespace allmenning
