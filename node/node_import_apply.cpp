// Node: import of JSON lines, pass 2 (Node::importJsonl).
//
// A line holding a signed entry (an exported line) is verified and stored
// unchanged, so it keeps its original author. A line holding a bare case
// record is published as this node's own case, unless it equals the case's
// live version (the rule of `case put`, Node::unchangedAt), so a file
// imported twice, or again after an interruption, publishes nothing twice.
// Pass 1 (node_import.cpp) checks every line and writes nothing if any line
// fails; pass 2 applies the lines in the order pass 1 indexed them, in
// durable batches, and reports each case id only once its batch is on disk.
//
// Trust: an entry's author must be accepted by this node, or vouched for by
// a vouch entry in the same file whose author this node trusts directly.
// The index's order need not put a vouch first: pass 2 skips authors the
// store does not accept yet and sweeps the index once more for them after
// the vouches are stored.
//
// Forks: a second entry at a seq is stored as a fork proof and freezes its
// author, in the same WriteBatch, exactly as when it arrives from a peer
// (Store::apply); the author's later entries are then refused as frozen.
#include <map>
#include <set>

#include "node/import_file.h"
#include "node/node.h"
#include "protocol/case_json.h"
#include "protocol/records.h"

namespace allmenning {
namespace {

// Entries per WriteBatch: each batch is one fsync.
constexpr size_t kImportBatch = 256;
constexpr size_t kMaxErrorsShown = 20;

// Flushes accumulated items as one durable batch.
class ImportBatch {
 public:
  ImportBatch(Node& node, ImportReport& report,
              const std::function<void(const std::string&)>& committed)
      : node_(node), report_(report), committed_(committed) {}

  // The authors skipped because the store did not accept them yet.
  const std::set<PublicKey>& deferred() const { return deferred_; }

  // Sweep 1 takes every line, deferring entries of authors not accepted yet;
  // sweep 2 (`only` set) takes just the entries of those authors.
  Status add(uint64_t lineNo, ImportItem item, const std::set<PublicKey>* only) {
    bool isEntry = item.entry.has_value();
    if (only && (!isEntry || !only->count(item.entry->header.author))) return Status::ok();
    if (!only && isEntry && !node_.store().accepts(item.entry->header.author)) {
      deferred_.insert(item.entry->header.author);
      return Status::ok();
    }
    if (size() > 0 && (isEntry != !entries_.empty() || size() >= kImportBatch)) {
      ALM_RETURN_IF_ERROR(flush());
    }
    if (isEntry) {
      entries_.push_back(std::move(*item.entry));
      lines_.push_back(lineNo);
      return Status::ok();
    }
    return addRecord(std::move(item.casePayload));
  }

  Status flush() {
    Status st = entries_.empty() ? flushOwn() : flushEntries();
    entries_.clear();
    records_.clear();
    lines_.clear();
    pending_.clear();
    return st;
  }

 private:
  size_t size() const { return entries_.size() + records_.size(); }

  // A record equal to the live version, or to the one this batch already
  // holds for its case, is already present.
  Status addRecord(Bytes payload) {
    auto id = caseIdOf(payload);
    if (!id.isOk()) return id.status();
    auto held = pending_.find(*id);
    bool same = held != pending_.end() && held->second == payload;
    if (held == pending_.end()) {
      auto current = node_.unchangedAt(Kind::kCase, CaseKey{node_.id(), *id}, payload);
      if (!current.isOk()) return current.status();
      same = current->has_value();
    }
    if (same) {
      ++report_.duplicates;
      return Status::ok();
    }
    pending_[*id] = payload;
    records_.emplace_back(Kind::kCase, std::move(payload));
    return Status::ok();
  }

  Status flushOwn() {
    if (records_.empty()) return Status::ok();
    auto written = node_.author(std::move(records_));
    if (!written.isOk()) return written.status();
    for (const auto& e : *written) announce(e);
    return Status::ok();
  }

  Status flushEntries() {
    auto results = node_.store().apply(entries_, /*sync=*/true, node_.now());
    if (!results.isOk()) return results.status();
    std::vector<Entry> stored;
    for (size_t i = 0; i < results->size(); ++i) {
      const ApplyOutcome& r = (*results)[i];
      if (r.stored()) {
        announce(entries_[i]);
        stored.push_back(entries_[i]);
      } else if (r.outcome == Outcome::kDuplicate) {
        ++report_.duplicates;
      } else if (r.outcome == Outcome::kFork || r.outcome == Outcome::kFrozen) {
        noteFork(entries_[i], lines_[i], r.fork.has_value());
      } else {
        ++report_.refused;
        error("line " + std::to_string(lines_[i]) + ": " + r.status.message());
      }
    }
    node_.published(stored);
    return Status::ok();
  }

  void noteFork(const Entry& e, uint64_t line, bool proof) {
    ++report_.frozen;
    if (!proof) return;
    const std::string author = toHex(e.header.author);
    report_.forks.push_back("author " + author + " signed two entries at seq " +
                            std::to_string(e.header.seq) + " (line " + std::to_string(line) +
                            "): the fork proof is stored and the author frozen");
  }

  void error(std::string what) {
    if (report_.errors.size() < kMaxErrorsShown) report_.errors.push_back(std::move(what));
  }

  void announce(const Entry& e) {
    ++report_.stored;
    auto record = recordOfPayload(e.header.kind, *e.payload);
    if (e.header.kind == Kind::kCase && record.isOk() && *record) {
      committed_(caseRef(CaseKey{e.header.author, (*record)->id}));
    }
  }

  Node& node_;
  ImportReport& report_;
  const std::function<void(const std::string&)>& committed_;
  std::vector<Entry> entries_;
  std::vector<uint64_t> lines_;
  std::vector<std::pair<Kind, Bytes>> records_;
  std::map<std::string, Bytes> pending_;  // case id -> its record in records_
  std::set<PublicKey> deferred_;
};

}  // namespace

Result<ImportReport> Node::importJsonl(const std::string& path,
                                       const std::function<void(const std::string&)>& committed,
                                       const std::function<void(uint64_t)>& progress) {
  auto file = ImportFile::open(path);
  if (!file.isOk()) return file.status();
  LineIndex index(paths_.root + "/import-index");
  ALM_RETURN_IF_ERROR(checkImportFile(*store_, **file, index));
  ImportReport report;
  ImportBatch batch(*this, report, committed);
  auto sweep = [&](const std::set<PublicKey>* only) {
    return index.forEach([&](const IndexedLine& l) -> Status {
      if (only && (!l.entry || !only->count(l.author))) return Status::ok();
      auto item = (*file)->lineAt(l.offset);
      if (!item.isOk()) return item.status().withContext(path + " changed during import");
      if (!only) ++report.lines;
      if (progress && !only && report.lines % 1000 == 0) progress(report.lines);
      return batch.add(l.line, std::move(*item), only);
    });
  };
  ALM_RETURN_IF_ERROR(sweep(nullptr));
  ALM_RETURN_IF_ERROR(batch.flush());
  if (!batch.deferred().empty()) {
    std::set<PublicKey> deferred = batch.deferred();
    ALM_RETURN_IF_ERROR(sweep(&deferred));
    ALM_RETURN_IF_ERROR(batch.flush());
  }
  return report;
}

}  // namespace allmenning
