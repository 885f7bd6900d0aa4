// The node's database: RocksDB with one column family per kind of record.
//
// Layout (docs/storage.md):
//   entries   author|seq(BE64)          -> signature(64) || canonical header
//   payloads  entryHash                 -> payload bytes
//   heads     author                    -> seq(BE64) || entryHash
//   cases     author|caseId             -> seq(BE64) || state(1: 0 live, 1 retracted)
//                                          || receivedAt(BE64, ms, this node's clock)
//   versions  author|caseId|0|seq(BE64) -> ""   (every entry that touched the case)
//   idx_cpv, idx_procedure, idx_sector, idx_status, idx_kommune
//             value|0|author|caseId     -> ""   (live cases only)
//   needs, experiences
//             author|id                 -> as in cases, for needs and experiences
//   links     target author|target id|0|relation|0|source author|source id -> ""
//                                          (live experiences and live cases' related lists)
//   profiles  author                    -> seq(BE64) of the latest profile entry
//   forks     author                    -> the author's fork proof: sigA(64) || sigB(64)
//                                          || lenA(BE16) || headerA || headerB
//   vouches   vouchee|voucher            -> seq(BE64) of the voucher's latest vouch for it
//   trust     author                    -> name given with `trust add` (may be empty)
//   distrusted author                   -> ""   (removed with `trust remove`)
//   peers     key                       -> "host:port" this node dials
//   meta      "format"                  -> the storage format, "2" (storage/migrations.h)
//             "network"                 -> network id (32)
//             "placement"               -> inode(BE64) || birth time(BE64, ns) of the
//                                          database folder (DbPlacement)
//             "authoring_hold"          -> since(BE64, ms) || reason (AuthoringHold)
//             "author"                  -> the key this node signs with (32), from init
//
// apply() is the one path that writes entries: it accepts entries only of
// authors this node accepts (trusted directly, or vouched for by a directly
// trusted author), decides every entry with the protocol's one acceptance
// decision (decideEntry) and commits all accepted entries, heads and index
// changes in one atomic WriteBatch. When it meets a second entry at a stored
// seq it writes the fork proof into that same batch and freezes the author.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/acceptance.h"
#include "protocol/entry.h"
#include "protocol/records.h"
#include "protocol/status.h"
#include "protocol/wire.h"

namespace rocksdb {
class DB;
class Snapshot;
class ColumnFamilyHandle;
}  // namespace rocksdb

namespace allmenning {

// A record of kind case, need or experience: its author and its id. The
// three kinds have separate id spaces (a retract names the kind it hides).
struct CaseKey {
  PublicKey author{};
  std::string id;
};

// The state of a case, need or experience.
struct CaseState {
  uint64_t seq = 0;  // the latest entry that touched the record
  bool retracted = false;
  int64_t receivedAt = 0;  // when this node accepted that entry (its own clock)
};

// A reverse reference to a case: the record `source` points at it.
struct Link {
  // "experience" (kExperienceRelation, storage/links.h) for an experience
  // about the case, else the relationship of a case's related entry
  // (derived-from, prior, follow-up, same-need).
  std::string relation;
  CaseKey source;
};

// What the derived families must hold, as recomputed from the logs by verify.
struct DerivedState {
  std::map<std::string, CaseState> cases;           // keys::caseKey -> state (receivedAt ignored)
  std::map<std::string, CaseState> needs;           // the same, for needs
  std::map<std::string, CaseState> experiences;     // the same, for experiences
  std::set<std::string> versions;                   // keys::version
  std::set<std::pair<int, std::string>> indexKeys;  // (IndexFamily, keys::index)
  std::set<std::string> links;                      // keys::link
  std::map<std::string, uint64_t> profiles;         // keys::author -> seq of the latest profile
  std::map<std::string, uint64_t> vouches;          // keys::vouch -> seq of the latest vouch

  // The map of `kind` (case, need or experience).
  std::map<std::string, CaseState>& states(Kind kind) {
    return kind == Kind::kNeed ? needs : kind == Kind::kExperience ? experiences : cases;
  }
};

// A key this node trusts directly, with the name given when it was added.
struct TrustedKey {
  PublicKey key{};
  std::string name;
};

// A vouch entry as stored: its seq in the voucher's log, and what it says.
struct StoredVouch {
  uint64_t seq = 0;
  VouchRecord record;
};

// A peer this node dials.
struct PeerAddress {
  PublicKey key{};
  std::string address;  // "host:port"
};

struct SearchFilter {
  std::string cpvPrefix;  // matches any CPV code starting with it
  std::string procedure;
  std::string sector;
  std::string status;
  std::string kommune;  // a buyer's kommunenummer
  std::optional<PublicKey> author;
  // Answered by the full-text index (search/), not by Store::search, which
  // ignores them: words every result contains, and a year it belongs to.
  std::string text;
  std::optional<int> year;
  size_t offset = 0;  // results to skip, for paging
  size_t limit = 50;  // most results to return after them
};

// One page of a search: at most `limit` results after `offset`, and how
// many match in all.
template <typename T>
struct Page {
  std::vector<T> items;
  size_t total = 0;
};

// Where the database folder lives on disk: what a copy of the folder (cp -a,
// rsync, a restore) cannot keep. A rename or a move within one file system
// keeps both. The device number is left out on purpose: it may change from
// one boot to the next (LVM, NFS, btrfs), and the inode and birth time are
// enough to tell a copy apart.
struct DbPlacement {
  uint64_t inode = 0;
  int64_t birthNs = 0;  // 0 where the file system does not record it
  bool operator==(const DbPlacement&) const = default;
};
// The placement of the folder `dir`.
Result<DbPlacement> placementOf(const std::string& dir);

// Why this node signs nothing until a peer confirms its head, and since when
// (ms since the epoch). docs/operations.md, "Back up and restore".
struct AuthoringHold {
  int64_t since = 0;
  std::string reason;
};

struct MigrationContext;  // storage/migrations.h

// Lines that report long work at open: a storage migration.
using StoreProgress = std::function<void(std::string_view line)>;

class Store {
 public:
  enum class Mode {
    kCreate,    // make a new database; refuse if one exists
    kExisting,  // open an existing one; refuse if there is none
  };
  // Opens the database in `dir` for the federation `network`. The network id
  // is recorded at creation, and opening with another one is refused, so one
  // log never mixes two networks.
  // An older storage format is migrated here, after a checkpoint of the
  // database as it was (storage/migrations.h), reporting to `progress`.
  static Result<std::unique_ptr<Store>> open(const std::string& dir, const Hash& network, Mode mode,
                                             const StoreProgress& progress = {});
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  const Hash& network() const { return network_; }

  // The key this database's own log is signed with: recorded once, by
  // `init` or (for a database made before it was recorded) at the first
  // open that shows it is the right one (Node::open). Nullopt when none is
  // recorded yet.
  Result<std::optional<PublicKey>> authorKey() const;
  // Records `key` as the author key, durably. Refused when another key is
  // recorded already; recording the same key again changes nothing.
  Status recordAuthorKey(const PublicKey& key);

  // The head of `author`'s log; seq 0 when nothing is stored.
  Result<Head> head(const PublicKey& author) const;
  // The entry at (author, seq), with its payload when stored.
  Result<std::optional<Entry>> entry(const PublicKey& author, uint64_t seq) const;
  Result<std::vector<PublicKey>> authors() const;
  // The latest profile `author` published (its highest-seq profile entry),
  // and its seq, if any; a payload erased or not held reads as none.
  struct ProfileVersion {
    uint64_t seq = 0;
    ProfileRecord record;
  };
  Result<std::optional<ProfileVersion>> profile(const PublicKey& author) const;
  // The name in that profile.
  Result<std::optional<std::string>> authorName(const PublicKey& author) const;

  Result<std::optional<CaseState>> caseState(const CaseKey& key) const {
    return recordState(Kind::kCase, key);
  }
  // The state of the record (kind, key); `kind` is case, need or experience.
  Result<std::optional<CaseState>> recordState(Kind kind, const CaseKey& key) const;
  // Calls `fn` for every live (not retracted) record of `kind`, in key order
  // (author, then id). Stops at the first non-ok status and returns it.
  Status forEachLive(Kind kind,
                     const std::function<Status(const CaseKey&, const CaseState&)>& fn) const;
  // What points at the case `target`, whether this node holds it or not:
  // live experiences about it and live cases whose related list names it,
  // ordered by relation, then source.
  Result<std::vector<Link>> linksTo(const CaseKey& target) const;
  // Seqs of every entry that created, updated or retracted the case, ascending.
  Result<std::vector<uint64_t>> caseVersions(const CaseKey& key) const;
  // Live cases matching every set filter, newest first by the author's
  // timestamp capped at the time this node received the entry, so a
  // future-dated entry cannot stay on top.
  Result<Page<CaseKey>> search(const SearchFilter& filter) const;

  // Decides (decideEntry, protocol/acceptance.h) and writes `entries` in
  // order, one outcome each, in input order. Entries may build on earlier
  // ones in the same call. With `sync`, the write is on disk when
  // this returns. `receivedAt` (ms, the caller's clock) is recorded with each
  // case. An I/O error fails the whole call and writes nothing.
  Result<std::vector<ApplyOutcome>> apply(std::vector<Entry> entries, bool sync,
                                          int64_t receivedAt);
  // Called after each apply() that stored entries, with them in order, once
  // they are committed and before the next writer starts: derived data kept
  // outside RocksDB (the search index) follows the same single path. Set it
  // before the store is shared between threads.
  using StoredListener = std::function<void(const std::vector<Entry>&)>;
  void setStoredListener(StoredListener listener) { storedListener_ = std::move(listener); }

  // Every author with a head, in key order, with that head.
  Result<std::vector<std::pair<PublicKey, Head>>> heads() const;
  // At most `limit` of them, those after `after` (from the first when
  // nullopt): a page costs a page of reads, however many authors there are.
  Result<std::vector<std::pair<PublicKey, Head>>> headsAfter(const std::optional<PublicKey>& after,
                                                             size_t limit) const;

  // Forks. An author is frozen once a fork proof of it is stored: apply()
  // then refuses every entry of it that is not an exact copy of a stored one.
  bool frozen(const PublicKey& author) const;
  // Frozen authors, sorted. Held in memory (32 bytes each), loaded at open.
  std::set<PublicKey> frozenAuthors() const;
  // The stored proof of `author`; nullopt when it is not frozen.
  Result<std::optional<ForkProof>> forkProof(const PublicKey& author) const;
  // Verifies `proof` (checkForkProof), stores it durably and freezes its
  // author. Returns false, storing nothing, when the author was already
  // frozen; a proof that does not verify is a non-ok Status.
  Result<bool> recordFork(const ForkProof& proof);
  // Calls `fn` for every stored proof in author order, decoded or not.
  Status forEachFork(const std::function<Status(const PublicKey&, Result<ForkProof>)>& fn) const;

  // Trust. A key is trusted directly (trust / distrust), or vouched for by a
  // vouch entry of a directly trusted author; vouches do not chain. Both
  // are held in memory, loaded at open. Distrusting a key stops accepting
  // and relaying its entries; what is stored stays, so the logs still verify.
  // A distrusted key is remembered as such until it is trusted again.
  Status trust(const PublicKey& key, const std::string& name);
  Result<bool> distrust(const PublicKey& key);  // false: it was not trusted
  Result<std::vector<TrustedKey>> trusted() const;
  // The name given when `key` was trusted ("" when none); nullopt when this
  // node does not trust it directly.
  Result<std::optional<std::string>> trustName(const PublicKey& key) const;
  bool trusts(const PublicKey& key) const;
  bool distrusted(const PublicKey& key) const;
  bool accepts(const PublicKey& author) const;
  // Every author with a stored vouch for `key`, sorted, trusted or not.
  std::vector<PublicKey> vouchersOf(const PublicKey& key) const;
  // The latest vouch `voucher` signed for `vouchee`, if this node holds one.
  Result<std::optional<StoredVouch>> vouch(const PublicKey& vouchee,
                                           const PublicKey& voucher) const;
  // One voucher admits at most `cap` keys: the first `cap` distinct keys it
  // vouched for, in its log's order, the same before and after a restart.
  // Later vouches are stored (the voucher's log goes on) but admit no one.
  // `warn` gets one line per voucher at 80 % of the cap and one at the cap.
  // Recomputes the admitted sets from the stored vouches.
  static constexpr size_t kDefaultMaxVouched = 2'000;
  Status setMaxVouchedPerVoucher(size_t cap, StoreProgress warn = {});
  // The keys `voucher`'s vouches admit (at most the cap).
  size_t admittedBy(const PublicKey& voucher) const;

  // Peers this node dials, sorted by key. add replaces the address.
  Status addPeer(const PeerAddress& peer);
  Result<bool> removePeer(const PublicKey& key);  // false: no such peer
  Result<std::vector<PeerAddress>> peers() const;

  // Calls `fn` for every stored entry, author by author in key order, seq
  // ascending. Stops at the first non-ok status and returns it.
  Status forEachEntry(const std::function<Status(Result<Entry>)>& fn) const;
  // Compares the derived families (cases, needs, experiences, versions,
  // indexes, links, profiles, vouches) with `expected`, and names the first
  // key that differs.
  Status checkDerived(const DerivedState& expected) const;
  // Re-reads every block and file checksum RocksDB keeps.
  Status verifyChecksums() const;
  // The folder the database was opened from.
  const std::string& dir() const { return dir_; }
  // The placement recorded with setAuthoringHold; nullopt for a database from
  // before placements were recorded.
  Result<std::optional<DbPlacement>> placement() const;
  // The authoring hold; nullopt when authoring is not held.
  Result<std::optional<AuthoringHold>> authoringHold() const;
  // Records the hold (nullopt: clears it) and, when given, the placement, in
  // one durable write.
  Status setAuthoringHold(const std::optional<AuthoringHold>& hold,
                          const std::optional<DbPlacement>& placement = std::nullopt);
  // A consistent copy of the database in `dir` (which must not exist): a
  // RocksDB checkpoint, after a flush, so it needs no write-ahead log.
  Status checkpoint(const std::string& dir);
  // Holds every writer off while the returned lock lives (a checkpoint
  // for a backup).
  [[nodiscard]] std::unique_lock<std::mutex> pauseWrites() { return std::unique_lock(writeMu_); }
  // While it lives, every read the constructing thread makes through this
  // store sees the database as it was at its construction (a RocksDB
  // snapshot), so reads spread over many calls see one state, and writers
  // on other threads go on meanwhile: verify on a running node. The
  // in-memory sets (trust, frozen) are not pinned. Destroy it on the same
  // thread, before the store.
  class PinnedReads {
   public:
    explicit PinnedReads(const Store& store);
    ~PinnedReads();
    PinnedReads(const PinnedReads&) = delete;
    PinnedReads& operator=(const PinnedReads&) = delete;

   private:
    rocksdb::DB& db_;
    const rocksdb::Snapshot* snapshot_;
    const rocksdb::DB* savedDb_;
    const rocksdb::Snapshot* savedSnapshot_;
  };

 private:
  class Writer;
  friend class Writer;
  friend struct MigrationContext;
  struct Families;

  Store(const Hash& network, std::unique_ptr<rocksdb::DB> db, std::unique_ptr<Families> cf);
  Result<Entry> loadStored(ByteView raw) const;
  Result<std::optional<std::string>> get(rocksdb::ColumnFamilyHandle* cf,
                                         const std::string& key) const;
  Result<std::vector<CaseKey>> candidates(const SearchFilter& filter) const;
  Status checkMeta(const std::string& dir, Mode mode, const StoreProgress& progress);
  Status migrate(int from, const StoreProgress& progress);
  Result<bool> matches(const CaseKey& key, const SearchFilter& filter, int64_t* received) const;
  Status loadForks();
  Status loadTrust();
  bool acceptsLocked(const PublicKey& author) const;

  Hash network_;
  std::string dir_;
  std::unique_ptr<rocksdb::DB> db_;
  std::unique_ptr<Families> cf_;
  // One writer at a time: apply, recordFork, trust and distrust hold it, so
  // the Writer's read-then-write sees no other writer. Readers need no lock
  // (RocksDB reads are thread-safe); the running node writes from its
  // network thread and its admin thread.
  std::mutex writeMu_;
  StoredListener storedListener_;
  // Guards the in-memory sets below. Each mirrors a family and is updated
  // only after the write that changes the family is committed, so it never
  // claims more than the disk holds.
  mutable std::mutex stateMu_;
  std::set<PublicKey> frozen_;
  std::set<PublicKey> trusted_;
  std::set<PublicKey> distrusted_;
  std::map<PublicKey, std::set<PublicKey>> vouchers_;  // vouchee -> vouchers
  std::map<PublicKey, std::set<PublicKey>> admitted_;  // voucher -> vouchees it admits
  size_t maxVouched_ = kDefaultMaxVouched;
  StoreProgress vouchWarn_;
  // Adds `vouchee` to what `voucher` admits when under the cap; warns as
  // the cap comes near. stateMu_ held.
  void admitLocked(const PublicKey& voucher, const PublicKey& vouchee);
  bool admitsLocked(const PublicKey& voucher, const PublicKey& vouchee) const;
  Result<std::set<PublicKey>> firstVouchees(const PublicKey& voucher) const;
};

}  // namespace allmenning
