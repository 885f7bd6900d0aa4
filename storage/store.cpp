#include "storage/store.h"

#include <rocksdb/env.h>
#include <rocksdb/options.h>
#include <rocksdb/write_batch.h>
#include <sys/statvfs.h>

#include <algorithm>
#include <charconv>
#include <cstdarg>
#include <cstdio>
#include <filesystem>

#include "protocol/records.h"
#include "storage/families.h"
#include "storage/keys.h"
#include "storage/migrations.h"
#include "storage/open_files.h"
#include "storage/pinned_reads.h"

namespace allmenning {
namespace {

constexpr const char* kFamilyNames[] = {"entries",    "payloads",    "heads",         "cases",
                                        "versions",   "idx_cpv",     "idx_procedure", "idx_sector",
                                        "idx_status", "idx_kommune", "profiles",      "meta",
                                        "forks",      "vouches",     "trust",         "peers",
                                        "needs",      "experiences", "links",         "distrusted"};

// RocksDB's diagnostics, errors only, to stderr (the node's log) instead of
// its own db/LOG file. The file's writer asserts, and so aborts the process
// in the packaged library, on the next line after one write failed: on a
// full disk a diagnostic line would kill the node instead of the write
// failing cleanly.
class StderrLogger : public rocksdb::Logger {
 public:
  StderrLogger() : Logger(rocksdb::InfoLogLevel::ERROR_LEVEL) {}
  using Logger::Logv;
  void Logv(const rocksdb::InfoLogLevel level, const char* format, va_list ap) override {
    if (level < GetInfoLogLevel()) return;
    char line[1024];
    std::vsnprintf(line, sizeof line, format, ap);
    std::fprintf(stderr, "rocksdb: %s\n", line);
  }
};

rocksdb::Options databaseOptions() {
  rocksdb::Options o;
  o.info_log = std::make_shared<StderrLogger>();
  o.create_if_missing = true;
  o.create_missing_column_families = true;
  o.paranoid_checks = true;
  o.max_open_files = kStoreMaxOpenFiles;
  o.keep_log_file_num = 4;
  // removeEmptyOldLogs relies on this (the default): log files are not
  // listed in the manifest, so one removed is not missed.
  o.track_and_verify_wals_in_manifest = false;
  return o;
}

// Why an existing database cannot be opened without its CURRENT file. An
// empty or absent folder held no database (moved or deleted); a folder with
// database files but no CURRENT holds a damaged one, which must not be
// taken for an absent one.
Status missingDatabase(const std::string& dir) {
  std::error_code ec;
  size_t files = 0;
  std::string example;
  for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::string name = it->path().filename().string();
    if (name == "LOCK" || name == "LOG" || name.starts_with("LOG.old")) continue;
    if (example.empty() || name.starts_with("MANIFEST")) example = name;
    ++files;
  }
  if (files > 0) {
    return Status::corruption(
        "database " + dir + " is damaged: its CURRENT file is missing, but the folder holds " +
        std::to_string(files) + (files == 1 ? " database file" : " database files") + " (" +
        example +
        "). CURRENT names the live MANIFEST; restore the database from a backup, or "
        "recreate CURRENT holding the newest MANIFEST's name and a newline, then run verify");
  }
  return Status::refused("no database in " + dir +
                         "; it may have been moved or deleted. Refusing to start a new log "
                         "under this key (restore the database, or init a new home)");
}

// The number of a RocksDB log file ("000123.log"); nullopt for other files.
std::optional<uint64_t> logNumber(const std::filesystem::path& file) {
  std::string stem = file.stem().string();
  if (file.extension() != ".log" || stem.empty() || stem.size() > 19 ||
      stem.find_first_not_of("0123456789") != std::string::npos) {
    return std::nullopt;
  }
  return std::stoull(stem);
}

// Every open starts a new, empty write-ahead log file. RocksDB 7.8 deletes
// the older ones only once a flush moves past them, and a log that holds no
// write never gets flushed: every open that wrote nothing (each command that
// only reads) left one more empty file behind for good. (RocksDB 8.3 moves
// past an empty log at open.) Called right after open, holding the
// database's lock: the newest log is the one this open writes to, and an
// older empty one holds nothing to recover. A file that cannot be removed
// only stays, as before.
void removeEmptyOldLogs(const std::string& dir) {
  std::vector<std::pair<uint64_t, std::filesystem::path>> logs;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    if (auto n = logNumber(e.path())) logs.emplace_back(*n, e.path());
  }
  if (ec || logs.size() < 2) return;
  std::sort(logs.begin(), logs.end());
  logs.pop_back();  // the current log
  for (const auto& log : logs) {
    if (std::filesystem::file_size(log.second, ec) == 0 && !ec) {
      std::filesystem::remove(log.second, ec);
    }
  }
}

}  // namespace

// ENOSPC, as RocksDB classifies it or, for a background error it passes on,
// as the file system worded it.
bool isNoSpace(const rocksdb::Status& s) {
  return s.IsNoSpace() || s.ToString().find("No space left on device") != std::string::npos;
}

Status fromRocks(const rocksdb::Status& s, const std::string& what) {
  if (s.ok()) return Status::ok();
  if (s.IsCorruption()) return Status::corruption(what + ": " + s.ToString());
  if (isNoSpace(s)) {
    return Status::ioError("no space left on device while " + what +
                           "; nothing was written: free space and retry (" + s.ToString() + ")");
  }
  const std::string text = s.ToString();
  auto says = [&text](const char* words) { return text.find(words) != std::string::npos; };
  // Only a lock that was refused means another process: RocksDB opens LOCK
  // before it locks it, and a home it may not write fails at that open.
  if (s.IsIOError() && (says("While lock file") || says("lock hold by current process"))) {
    return Status::refused(what + ": the database is in use by another process (" + text + ")");
  }
  if (s.IsIOError() && (says("Permission denied") || says("Read-only file system"))) {
    return Status::refused(what + ": the database folder cannot be written (" + text +
                           "). A node writes its home even to read it: check that this user "
                           "owns the home and may write it, and that it is not on a read-only "
                           "mount");
  }
  return Status::ioError(what + ": " + s.ToString());
}

// Free space a write must find on the database's file system: room for the
// batch (an import batch is at most a few MiB) and the flush it may trigger.
// Below it, writes are refused before RocksDB sees them, because RocksDB
// handles ENOSPC in its log badly: the packaged library aborts the process
// on the next write after a failed log append, even after DB::Resume().
// (RocksDB preallocates its log, so that space is already taken.)
constexpr uint64_t kReservedBytes = 8ull << 20;

Status checkFreeSpace(rocksdb::DB& db, const std::string& what) {
  struct statvfs fs {};
  if (::statvfs(db.GetName().c_str(), &fs) != 0) return Status::ok();  // RocksDB will tell
  uint64_t avail = static_cast<uint64_t>(fs.f_bavail) * fs.f_frsize;
  if (avail >= kReservedBytes) return Status::ok();
  return Status::ioError("no space left on device while " + what + ": " +
                         std::to_string(avail >> 20) + " MiB free in " + db.GetName() +
                         ", the database needs " + std::to_string(kReservedBytes >> 20) +
                         " MiB; nothing was written: free space and retry");
}

// checkFreeSpace keeps most ENOSPC away from RocksDB; this is for the rest
// (the disk filled by another writer between the check and the write, or a
// background flush that failed).
// After a write or a flush fails, RocksDB refuses every later write with
// the same background error until DB::Resume() is called; nothing calls it
// without an SstFileManager, so a node whose disk filled up once would stay
// read-only until restarted. A failed write therefore asks RocksDB once to
// resume (it checks the disk again and flushes what it holds) and, when it
// can, writes again: once space is freed the node carries on by itself. A
// failed write applied nothing, so the batch is applied at most once.
Status writeBatch(rocksdb::DB& db, rocksdb::WriteBatch& batch, bool sync, const std::string& what) {
  ALM_RETURN_IF_ERROR(checkFreeSpace(db, what));
  rocksdb::WriteOptions options;
  options.sync = sync;
  rocksdb::Status s = db.Write(options, &batch);
  if (!s.ok() && !s.IsCorruption() && db.Resume().ok()) s = db.Write(options, &batch);
  return fromRocks(s, what);
}

Result<CaseState> decodeCaseValue(std::string_view v, const std::string& family) {
  if (v.size() != 17) return Status::corruption(family + ": malformed value");
  return CaseState{readBigEndian64(v), v[8] != 0,
                   static_cast<int64_t>(readBigEndian64(v.substr(9)))};
}

Store::Store(const Hash& network, std::unique_ptr<rocksdb::DB> db, std::unique_ptr<Families> cf)
    : network_(network), db_(std::move(db)), cf_(std::move(cf)) {}

Store::~Store() {
  // Handles must be released before the DB that issued them.
  cf_->owned.clear();
  db_.reset();
}

Result<std::unique_ptr<Store>> Store::open(const std::string& dir, const Hash& network, Mode mode,
                                           const StoreProgress& progress) {
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  descriptors.emplace_back(rocksdb::kDefaultColumnFamilyName, rocksdb::ColumnFamilyOptions());
  for (const char* name : kFamilyNames) {
    descriptors.emplace_back(name, rocksdb::ColumnFamilyOptions());
  }
  rocksdb::Options options = databaseOptions();
  // Only `init` creates a database. Opening a missing one would otherwise
  // start a new log at seq 1 under a key that already signed other entries.
  options.create_if_missing = mode == Mode::kCreate;
  options.error_if_exists = mode == Mode::kCreate;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  // RocksDB creates the folder even when it will not create a database, so
  // look for one before asking it.
  std::error_code ec;
  bool exists = std::filesystem::exists(dir + "/CURRENT", ec);
  if (mode == Mode::kCreate && exists) {
    return Status::refused("a database already exists in " + dir +
                           "; refusing to create another over it");
  }
  // A folder RocksDB would have to create is reported as an error first.
  if (mode == Mode::kCreate) std::filesystem::create_directories(dir, ec);
  auto opened = mode == Mode::kExisting && !exists
                    ? rocksdb::Status::InvalidArgument("no CURRENT file")
                    : rocksdb::DB::Open(options, dir, descriptors, &handles, &raw);
  if (opened.IsInvalidArgument() && mode == Mode::kExisting) return missingDatabase(dir);
  Status st = fromRocks(opened, "opening database " + dir);
  if (!st.isOk()) return st;
  removeEmptyOldLogs(dir);
  auto cf = std::make_unique<Families>();
  for (auto* h : handles) cf->owned.emplace_back(h);
  rocksdb::ColumnFamilyHandle** slots[] = {
      &cf->entries,  &cf->payloads,     &cf->heads,       &cf->cases,     &cf->versions,
      &cf->idxCpv,   &cf->idxProcedure, &cf->idxSector,   &cf->idxStatus, &cf->idxKommune,
      &cf->profiles, &cf->meta,         &cf->forks,       &cf->vouches,   &cf->trust,
      &cf->peers,    &cf->needs,        &cf->experiences, &cf->links,     &cf->distrusted};
  static_assert(std::size(slots) == std::size(kFamilyNames));
  for (size_t i = 0; i < std::size(slots); ++i) *slots[i] = handles[i + 1];
  std::unique_ptr<Store> store(
      new Store(network, std::unique_ptr<rocksdb::DB>(raw), std::move(cf)));
  store->dir_ = dir;
  ALM_RETURN_IF_ERROR(store->checkMeta(dir, mode, progress));
  ALM_RETURN_IF_ERROR(store->loadForks());
  ALM_RETURN_IF_ERROR(store->loadTrust());
  return store;
}

// Writes the format version and network id into a new database, or checks
// them in an existing one, migrating an older format.
Status Store::checkMeta(const std::string& dir, Mode mode, const StoreProgress& progress) {
  if (mode == Mode::kCreate) {
    rocksdb::WriteBatch batch;
    batch.Put(cf_->meta, "format", std::to_string(kStorageFormat));
    batch.Put(cf_->meta, "network", std::string(asChars(network_)));
    return writeBatch(*db_, batch, /*sync=*/true, "writing database metadata");
  }
  auto network = get(cf_->meta, "network");
  if (!network.isOk()) return network.status();
  if (!*network || **network != asChars(network_)) {
    return Status::refused("database " + dir +
                           " belongs to another network than the one in the config; the "
                           "`network` setting must not change after init");
  }
  auto format = get(cf_->meta, "format");
  if (!format.isOk()) return format.status();
  if (!*format) return Status::corruption("database " + dir + " has no format version");
  int version = 0;
  auto [end, ec] =
      std::from_chars((*format)->data(), (*format)->data() + (*format)->size(), version);
  if (ec != std::errc() || end != (*format)->data() + (*format)->size() || version < 1) {
    return Status::corruption("database " + dir + " has a malformed format version");
  }
  if (version > kStorageFormat) {
    return Status::refused("database " + dir + " has format version " + **format +
                           ", newer than this build's " + std::to_string(kStorageFormat) +
                           ": install the newer version again, or roll back (docs/operations.md, "
                           "\"Upgrades\")");
  }
  return version < kStorageFormat ? migrate(version, progress) : Status::ok();
}

Result<std::optional<PublicKey>> Store::authorKey() const {
  auto v = get(cf_->meta, "author");
  if (!v.isOk()) return v.status();
  if (!*v) return std::optional<PublicKey>();
  auto key = toFixed<32>(view(**v));
  if (!key) return Status::corruption("meta: malformed author key");
  return std::optional<PublicKey>(*key);
}

Status Store::recordAuthorKey(const PublicKey& key) {
  std::lock_guard writer(writeMu_);
  auto recorded = authorKey();
  if (!recorded.isOk()) return recorded.status();
  if (*recorded) {
    if (**recorded == key) return Status::ok();
    return Status::refused("database " + db_->GetName() + " already records author key " +
                           toHex(**recorded) + ", not " + toHex(key));
  }
  rocksdb::WriteBatch batch;
  batch.Put(cf_->meta, "author", keys::author(key));
  return writeBatch(*db_, batch, /*sync=*/true, "writing the author key");
}

namespace {

// The snapshot the calling thread's reads of one database are pinned to.
thread_local const rocksdb::DB* tPinnedDb = nullptr;
thread_local const rocksdb::Snapshot* tPinnedSnapshot = nullptr;

}  // namespace

rocksdb::ReadOptions readOptionsFor(const rocksdb::DB& db) {
  rocksdb::ReadOptions options;
  if (tPinnedDb == &db) options.snapshot = tPinnedSnapshot;
  return options;
}

Store::PinnedReads::PinnedReads(const Store& store)
    : db_(*store.db_),
      snapshot_(db_.GetSnapshot()),
      savedDb_(tPinnedDb),
      savedSnapshot_(tPinnedSnapshot) {
  tPinnedDb = &db_;
  tPinnedSnapshot = snapshot_;
}

Store::PinnedReads::~PinnedReads() {
  tPinnedDb = savedDb_;
  tPinnedSnapshot = savedSnapshot_;
  db_.ReleaseSnapshot(snapshot_);
}

Result<std::optional<std::string>> Store::get(rocksdb::ColumnFamilyHandle* cf,
                                              const std::string& key) const {
  std::string value;
  auto s = db_->Get(readOptionsFor(*db_), cf, key, &value);
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
  auto e = loadStored(view(**v));
  if (!e.isOk()) return e.status();
  return std::optional<Entry>(std::move(*e));
}

// An `entries` value is signature(64) || canonical header; the payload, when
// still held, sits in `payloads` under the entry hash.
Result<Entry> Store::loadStored(ByteView raw) const {
  if (raw.size() <= 64) return Status::corruption("entries: value too short");
  auto e = entryFromParts(raw.subspan(64), raw.first(64), std::nullopt);
  if (!e.isOk()) return e.status();
  auto payload = get(cf_->payloads, keys::payload(e->hash));
  if (!payload.isOk()) return payload.status();
  if (*payload) e->payload = Bytes((*payload)->begin(), (*payload)->end());
  return e;
}

Result<std::vector<PublicKey>> Store::authors() const {
  std::vector<PublicKey> out;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(readOptionsFor(*db_), cf_->heads));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    auto key = toFixed<32>(view(it->key().ToStringView()));
    if (!key) return Status::corruption("heads: malformed key");
    out.push_back(*key);
  }
  ALM_RETURN_IF_ERROR(fromRocks(it->status(), "listing authors"));
  return out;
}

Result<std::optional<CaseState>> Store::recordState(Kind kind, const CaseKey& key) const {
  auto* cf = cf_->records(kind);
  auto v = get(cf, keys::caseKey(key.author, key.id));
  if (!v.isOk()) return v.status();
  if (!*v) return std::optional<CaseState>();
  auto state = decodeCaseValue(**v, cf->GetName());
  if (!state.isOk()) return state.status();
  return std::optional<CaseState>(*state);
}

Result<std::vector<uint64_t>> Store::caseVersions(const CaseKey& key) const {
  std::string prefix = keys::versionsPrefix(key.author, key.id);
  std::vector<uint64_t> out;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(readOptionsFor(*db_), cf_->versions));
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    if (it->key().size() != prefix.size() + 8) return Status::corruption("versions: bad key");
    out.push_back(readBigEndian64(it->key().ToStringView().substr(prefix.size())));
  }
  ALM_RETURN_IF_ERROR(fromRocks(it->status(), "listing versions"));
  return out;
}

Result<std::optional<Store::ProfileVersion>> Store::profile(const PublicKey& author) const {
  auto v = get(cf_->profiles, keys::author(author));
  if (!v.isOk()) return v.status();
  if (!*v) return std::optional<ProfileVersion>();
  if ((*v)->size() != 8) return Status::corruption("profiles: malformed value");
  uint64_t seq = readBigEndian64(**v);
  auto e = entry(author, seq);
  if (!e.isOk()) return e.status();
  if (!*e || !(*e)->payload) return std::optional<ProfileVersion>();
  auto profile = decodeProfile(*(*e)->payload);
  if (!profile.isOk()) return profile.status();
  return std::optional<ProfileVersion>(ProfileVersion{seq, std::move(*profile)});
}

Result<std::optional<std::string>> Store::authorName(const PublicKey& author) const {
  auto profile = this->profile(author);
  if (!profile.isOk()) return profile.status();
  if (!*profile) return std::optional<std::string>();
  return std::optional<std::string>((*profile)->record.name);
}

Status Store::forEachEntry(const std::function<Status(Result<Entry>)>& fn) const {
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(readOptionsFor(*db_), cf_->entries));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    ALM_RETURN_IF_ERROR(fn(loadStored(view(it->value().ToStringView()))));
  }
  return fromRocks(it->status(), "reading entries");
}

Status Store::verifyChecksums() const {
  return fromRocks(db_->VerifyChecksum(), "verifying RocksDB checksums");
}

}  // namespace allmenning
