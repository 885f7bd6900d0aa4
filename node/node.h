// Node: one body's node, wiring its key, config and store. Every CLI command
// that reads or changes data is a method here, so the same code serves the
// CLI directly now and through the admin socket when the node runs.
#pragma once

#include <atomic>
#include <functional>
#include <iosfwd>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "node/home.h"
#include "node/network_view.h"
#include "protocol/entry.h"
#include "protocol/records.h"
#include "storage/store.h"
#include "storage/verify.h"

namespace allmenning {

using Json = nlohmann::ordered_json;
// Milliseconds since the epoch. Injected so tests control time.
using Clock = std::function<int64_t()>;
Clock systemClock();

struct InitOptions {
  Config config;
};

struct PutResult {
  CaseKey key;
  uint64_t seq = 0;
  bool unchanged = false;  // identical to the current version; nothing written
  std::string warning;     // published, but the user should know this
};

// Counters and callbacks of an import.
struct ImportReport {
  uint64_t lines = 0;
  uint64_t stored = 0;
  uint64_t duplicates = 0;  // entries already stored, records equal to the live version
  uint64_t refused = 0;     // refused when applied (chain rules); listed in errors
  uint64_t frozen = 0;      // entries not stored because their author forked
  std::vector<std::string> errors;
  std::vector<std::string> forks;  // each fork this import found and recorded
};

// What `import --format ocds` did.
struct OcdsImportReport {
  uint64_t releases = 0;   // in the package
  uint64_t versions = 0;   // case versions stored
  uint64_t unchanged = 0;  // releases whose version this node holds, or that change nothing
  uint64_t withdrawn = 0;  // cases retracted by a withdrawing release
  uint64_t refused = 0;    // releases that give no case version; the first ones are in errors
  uint64_t conflicts = 0;  // processes whose case here has versions the package lacks
  std::vector<std::string> errors;
  // Fields dropped or shortened to fit the case rules (ocds::Package::notes).
  std::vector<std::string> notes;
  uint64_t noteCount = 0;
};

namespace search {
class SearchIndex;
}

// Lines that report the progress of long work (an index rebuild).
using Progress = std::function<void(std::string_view line)>;

class Node {
 public:
  // Creates <home>: config, key and database, and publishes the profile entry
  // (seq 1) that names this body. Refuses a home that already has a key.
  static Status init(const std::string& home, const InitOptions& options, const Clock& clock);
  // Opens the node in `home`. Refuses a key file that is not the database's
  // own key (node/own_key.h) before anything is written. A missing, outdated
  // or damaged search index is rebuilt here (a damaged one is set aside
  // first), and one that lags the database catches up, reporting to
  // `progress`; so is one found damaged later, while the node runs.
  static Result<std::unique_ptr<Node>> open(const std::string& home, const Clock& clock,
                                            const Progress& progress = {});
  ~Node();

  const PublicKey& id() const { return key_->publicKey(); }
  const Config& config() const { return config_; }
  int64_t now() const { return clock_(); }
  Store& store() { return *store_; }

  // Parses "<author-hex>/<id>" or "<id>" (this node's own record). `kind`
  // only names the record in messages.
  Result<CaseKey> parseCaseRef(const std::string& ref, Kind kind = Kind::kCase) const;

  // Validates a record file's text as `kind` (case, need or experience) and
  // publishes it as a new version; unchanged when it equals the current one.
  // An experience about one of this node's own cases is refused (invalid: an
  // experience is another body's report); one about a case this node does not
  // hold, or holds retracted, is published with a warning, since the case
  // may arrive later and the experience then shows under it.
  Result<PutResult> put(Kind kind, std::string_view json);
  Result<PutResult> putCase(std::string_view json) { return put(Kind::kCase, json); }
  // The seq of the live version of (kind, key) when its payload is exactly
  // `payload`: publishing it again would change nothing, so `put` and the
  // imports of bare records write nothing for it. Nullopt otherwise.
  Result<std::optional<uint64_t>> unchangedAt(Kind kind, const CaseKey& key, ByteView payload);
  // Publishes a retract of this node's live record (kind, key).
  Status retract(Kind kind, const CaseKey& key);
  Status retractCase(const CaseKey& key) { return retract(Kind::kCase, key); }
  // The case as `case show --json` prints it, with the experiences about it
  // and the cases linking to it; with `history`, every version.
  Result<Json> showCase(const CaseKey& key, bool history);
  // The need as `need show --json` prints it: a retracted need shows its last
  // published version.
  Result<Json> showNeed(const CaseKey& key);
  // The record of the live need `key`, as its JSON; not found when this node
  // holds no such need or it is retracted.
  Result<Json> needRecord(const CaseKey& key);
  // Calls `fn` with every live need this node holds (any author) and its
  // record, in key order. Stops at the first non-ok status and returns it.
  Status forEachNeed(const std::function<Status(const CaseKey&, const Json& record)>& fn);
  // One row per match: case ref, title, author name, procedure, status, updated.
  Result<Json> search(const SearchFilter& filter);
  // Cases that answer a need record (title, need, cpv, sector, procedure),
  // best first, each with its score and why it was chosen (node_match.cpp).
  Result<Json> matchNeed(const Json& need, size_t limit);
  // Rebuilds <home>/search from the database.
  Status reindex(const Progress& progress);

  // Writes every entry as one JSON line (docs/cli.md, "jsonl").
  Status exportJsonl(const std::function<Status(std::string_view line)>& sink);
  Status exportJsonl(std::ostream& out);
  // Imports a jsonl file. Lines holding a signed entry are verified and
  // stored as they are; lines holding a case record are published as this
  // node's own. `committed` is called with each case ref once it is durable.
  Result<ImportReport> importJsonl(const std::string& path,
                                   const std::function<void(const std::string&)>& committed,
                                   const std::function<void(uint64_t)>& progress);

  // OCDS 1.1 (docs/ocds.md): every case version as a release package, and
  // a package's valid releases as this node's own cases, each invalid one
  // reported. `stored` is called with a case ref after each stored version.
  Status exportOcds(const std::function<Status(std::string_view)>& sink);
  Result<OcdsImportReport> importOcds(const std::string& path,
                                      const std::function<void(const std::string&)>& stored);

  Result<VerifyReport> verify(const std::function<void(uint64_t)>& progress);

  // Trust (docs/protocol.md, "Trust"). This node's own key is always trusted.
  Status trustKey(const PublicKey& key, const std::string& name);
  // Not found when the key was not trusted; refused for this node's own key.
  Status distrustKey(const PublicKey& key);
  // [{key, name}] of directly trusted keys, then [{key, name, by}] of keys
  // accepted through a vouch.
  Result<Json> trustList();
  // Publishes a vouch entry for another body's key; returns its seq.
  Result<uint64_t> vouchFor(const VouchRecord& vouch);
  // The keys that vouched for `author` and whose vouch this node holds.
  Result<Json> vouchersOf(const PublicKey& author);
  // Why this node accepts `author`: "self", "trusted", "vouched" or
  // "not trusted".
  std::string trustOf(const PublicKey& author) const;

  // Peers this node dials when it runs (address "host:port").
  Status addPeer(const std::string& address, const PublicKey& key);
  Status removePeer(const PublicKey& key);  // not found when absent
  Result<std::vector<DialPeer>> peers();
  // Whether `key` may open a connection (config accept_peers).
  bool allowsPeer(const PublicKey& key) const;

  // Connections (when running), authors with their heads, and forks.
  Result<Json> status();
  // Set by `allmenning run` while the network runs; nullptr otherwise.
  void setNetwork(NetworkView* network) { network_ = network; }
  // Pushes entries just stored to the peers, when the network runs.
  void published(const std::vector<Entry>& entries);

  // Signs and durably stores new entries of this node's own log, in order.
  // Each batch is claimed durably before it is committed (node/intent.h).
  Result<std::vector<Entry>> author(std::vector<std::pair<Kind, Bytes>> records);

 private:
  Node(HomePaths paths, Config config, std::unique_ptr<SecretKey> key, std::unique_ptr<Store> store,
       Clock clock);
  static Status createNode(const HomePaths& paths, const Config& config, const Clock& clock);
  Result<Head> recoverIntent(const Head& head);
  void commitLeftoverIntent();
  Result<Json> entrySummary(const Entry& e);
  // A result row for `key`'s current version; with `text`, a snippet; with
  // `record`, the version's record too.
  Result<Json> searchRow(const CaseKey& key, const std::string& text, Json* record = nullptr);
  Result<Json> textSearch(const SearchFilter& filter);
  Status attachIndex(const Progress& progress);
  Status useIndexLocked(const std::function<Status()>& use);
  Status recoverIndexLocked(const Status& damage);
  Status rebuildIndexLocked(const Progress& progress);
  Status catchUpIndexLocked(const Progress& progress);
  void onStored(const std::vector<Entry>& entries);
  Status checkExperience(ByteView payload, std::string& warning);
  Result<Json> currentRecord(Kind kind, const CaseKey& key, const CaseState& state);
  Result<std::optional<Entry>> lastVersion(Kind kind, const CaseKey& key, const CaseState& state);
  Result<Json> showRecord(Kind kind, const CaseKey& key, const CaseState& state,
                          const std::optional<Entry>& shown, int64_t latestTimestamp);
  Result<Json> linksJson(const CaseKey& key);
  Result<Json> chainCheck(const PublicKey& author, uint64_t seq);
  Result<Json> authorsStatus();
  Result<Json> forksStatus();

  HomePaths paths_;
  Config config_;
  std::unique_ptr<SecretKey> key_;
  std::unique_ptr<Store> store_;
  Clock clock_;
  std::atomic<NetworkView*> network_{nullptr};
  // The full-text index follows the store through onStored (node_search.cpp).
  std::unique_ptr<search::SearchIndex> index_;
  std::mutex indexMu_;  // guards index_ and the four below
  // Where a rebuild the node starts by itself (a damaged index) reports.
  Progress indexProgress_;
  Status indexError_;  // set when applying failed: searches refuse until reindex
  size_t uncommitted_ = 0;
  int64_t lastIndexCommit_ = 0;
};

std::string caseRef(const CaseKey& key);
std::string isoTime(int64_t ms);

}  // namespace allmenning
