// Node: import of JSON lines.
//
// A line holding a signed entry (an exported line) is verified and stored
// unchanged, so it keeps its original author. A line holding a bare case
// record is published as this node's own case. Pass 1 checks every line,
// including the chain rules and trust, and writes nothing if any line fails;
// pass 2 applies the lines in durable batches and reports each case id only
// once its batch is on disk.
//
// Trust: an entry's author must be accepted by this node, or vouched for by
// a vouch entry in the same file whose author this node trusts directly.
// The file's order need not put a vouch first: pass 2 skips authors the
// store does not accept yet and sweeps the file once more for them after
// the vouches are stored.
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <set>

#include "node/node.h"
#include "protocol/case_json.h"
#include "protocol/records.h"

namespace allmenning {
namespace {

// A line longer than this cannot hold a valid entry or case.
constexpr size_t kMaxLineBytes = 1 << 20;
// Entries per WriteBatch: each batch is one fsync.
constexpr size_t kImportBatch = 256;
constexpr size_t kMaxErrorsShown = 20;

// One parsed line: either a signed entry or a case record to publish.
struct ImportItem {
  std::optional<Entry> entry;
  Bytes casePayload;
};

Result<ImportItem> parseLine(const std::string& line) {
  // The JSON parser stops at a NUL, which would let bytes after it pass.
  if (line.find('\0') != std::string::npos) return Status::invalid("line contains a NUL byte");
  Json j = Json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Status::invalid("not valid JSON");
  if (!j.is_object()) return Status::invalid("not a JSON object");
  ImportItem item;
  if (!j.contains("header")) {
    // The same gate as `case put`: size, duplicate keys, every field rule.
    auto payload = caseFromJson(line);
    if (!payload.isOk()) return payload.status();
    item.casePayload = std::move(*payload);
    return item;
  }
  auto field = [&](const char* k) -> std::string {
    return j.contains(k) && j[k].is_string() ? j[k].get<std::string>() : std::string();
  };
  if (!j.contains("payload") || !j["payload"].is_string()) {
    return Status::invalid("entry has no payload (erased, or not a string); cannot import it");
  }
  auto header = fromBase64(field("header"));
  auto signature = fromHex(field("signature"));
  auto payload = fromBase64(field("payload"));
  if (!header || !signature || !payload) {
    return Status::invalid("entry needs base64 \"header\", hex \"signature\", base64 \"payload\"");
  }
  auto e = entryFromParts(*header, *signature, std::move(*payload));
  if (!e.isOk()) return Status::invalid(e.status().message());
  item.entry = std::move(*e);
  return item;
}

// Reads `path` line by line without ever holding more than one line of at
// most kMaxLineBytes, and calls `fn(lineNumber, item-or-error)`.
Status forEachLine(const std::string& path,
                   const std::function<Status(uint64_t, Result<ImportItem>)>& fn) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::invalid(path + ": cannot open for reading");
  std::vector<char> buf(kMaxLineBytes + 2);
  for (uint64_t n = 1;; ++n) {
    in.getline(buf.data(), static_cast<std::streamsize>(buf.size()));
    size_t len = static_cast<size_t>(in.gcount());
    if (len == 0 && in.eof()) break;
    if (in.fail() && !in.eof()) {  // the buffer filled before the line ended
      in.clear();
      in.ignore(std::numeric_limits<std::streamsize>::max(), '\n');
      ALM_RETURN_IF_ERROR(fn(n, Status::invalid("line longer than 1 MiB")));
      continue;
    }
    // gcount counts the newline when one ended the line; a NUL inside the
    // line stays in it (and makes it invalid JSON) rather than cutting it.
    std::string line(buf.data(), in.eof() ? len : len - 1);
    if (line.find_first_not_of(" \t\r") != std::string::npos) {
      ALM_RETURN_IF_ERROR(fn(n, parseLine(line)));
    }
    if (in.eof()) break;
  }
  return in.bad() ? Status::ioError(path + ": read error") : Status::ok();
}

// Pass 1's view of the logs: stored heads plus what earlier lines add.
class ChainPreview {
 public:
  explicit ChainPreview(const Store& store) : store_(store) {}

  Status place(const Entry& e) {
    const PublicKey& a = e.header.author;
    auto it = heads_.find(a);
    if (it == heads_.end()) {
      auto h = store_.head(a);
      if (!h.isOk()) return h.status();
      it = heads_.emplace(a, std::make_pair(*h, h->seq)).first;
    }
    auto& [head, storedSeq] = it->second;
    std::optional<Hash> atSeq;
    if (e.header.seq <= head.seq) {
      auto fromFile = added_.find({a, e.header.seq});
      if (fromFile != added_.end()) {
        atSeq = fromFile->second;
      } else if (e.header.seq <= storedSeq) {
        auto stored = store_.entry(a, e.header.seq);
        if (!stored.isOk()) return stored.status();
        if (*stored) atSeq = (*stored)->hash;
      }
    }
    Placement p = placeEntry(head, e, atSeq);
    if (p == Placement::kNext) {
      head = Head{e.header.seq, e.hash};
      added_[{a, e.header.seq}] = e.hash;
    } else if (p != Placement::kDuplicate) {
      return Status::invalid(placementName(p) + " in the chain of author " + toHex(a) + " at seq " +
                             std::to_string(e.header.seq));
    }
    return Status::ok();
  }

 private:
  const Store& store_;
  std::map<PublicKey, std::pair<Head, uint64_t>> heads_;  // head, stored head seq
  std::map<std::pair<PublicKey, uint64_t>, Hash> added_;
};

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
    } else {
      records_.emplace_back(Kind::kCase, std::move(item.casePayload));
    }
    return Status::ok();
  }

  Status flush() {
    Status st = entries_.empty() ? flushOwn() : flushEntries();
    entries_.clear();
    records_.clear();
    lines_.clear();
    return st;
  }

 private:
  size_t size() const { return entries_.size() + records_.size(); }

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
      const ApplyResult& r = (*results)[i];
      if (r.stored()) {
        announce(entries_[i]);
        stored.push_back(entries_[i]);
      } else if (r.placement == Placement::kDuplicate && r.status.isOk()) {
        ++report_.duplicates;
      } else {
        ++report_.refused;
        report_.errors.push_back("line " + std::to_string(lines_[i]) + ": " + r.status.message());
      }
    }
    node_.published(stored);
    return Status::ok();
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
  std::set<PublicKey> deferred_;
};

Status requireRegularFile(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return Status::invalid(path + ": " + std::strerror(errno));
  if (!S_ISREG(st.st_mode)) {
    return Status::invalid(path +
                           ": not a regular file; import reads its input twice (check, then "
                           "write), so save a pipe or stream to a file first");
  }
  return Status::ok();
}

}  // namespace

// Pass 1: every line on its own (encoding, rules, signature, payload), and
// each entry against the chain as the file would extend it.
Status Node::checkImport(const std::string& path) {
  std::vector<std::string> errors;
  auto error = [&](uint64_t n, const Status& st) {
    if (errors.size() > kMaxErrorsShown) return;
    errors.push_back(errors.size() < kMaxErrorsShown
                         ? path + ":" + std::to_string(n) + ": " + st.message()
                         : "(further errors not shown)");
  };
  ChainPreview chain(*store_);
  std::map<PublicKey, uint64_t> untrusted;  // author -> its first line
  std::set<PublicKey> vouched;              // by authors this node trusts directly
  ALM_RETURN_IF_ERROR(forEachLine(path, [&](uint64_t n, Result<ImportItem> item) -> Status {
    Status st = item.status();
    if (st.isOk() && item->entry) {
      const Entry& e = *item->entry;
      st = checkEntry(e, store_->network());
      if (st.isOk()) st = checkPayload(e.header.kind, *e.payload);
      if (st.isOk()) st = chain.place(e);
      if (st.code() == Status::Code::kIOError) return st;
      if (st.isOk() && !store_->accepts(e.header.author)) untrusted.try_emplace(e.header.author, n);
      if (st.isOk() && e.header.kind == Kind::kVouch && store_->trusts(e.header.author)) {
        vouched.insert(decodeVouch(*e.payload)->key);  // checked by checkPayload above
      }
    }
    if (!st.isOk()) error(n, st);
    return Status::ok();
  }));
  for (const auto& [author, line] : untrusted) {
    if (vouched.count(author)) continue;
    error(line, Status::refused("author " + toHex(author) +
                                " is not trusted by this node (allmenning trust add " +
                                toHex(author) + ")"));
  }
  if (errors.empty()) return Status::ok();
  std::string msg = "nothing imported; fix these lines first:";
  for (const auto& e : errors) msg += "\n  " + e;
  return Status::invalid(msg);
}

Result<ImportReport> Node::importJsonl(const std::string& path,
                                       const std::function<void(const std::string&)>& committed,
                                       const std::function<void(uint64_t)>& progress) {
  ALM_RETURN_IF_ERROR(requireRegularFile(path));
  ALM_RETURN_IF_ERROR(checkImport(path));
  ImportReport report;
  ImportBatch batch(*this, report, committed);
  auto sweep = [&](const std::set<PublicKey>* only) {
    return forEachLine(path, [&](uint64_t n, Result<ImportItem> item) {
      if (!item.isOk()) return item.status().withContext(path + " changed during import");
      if (!only) ++report.lines;
      if (progress && !only && report.lines % 1000 == 0) progress(report.lines);
      return batch.add(n, std::move(*item), only);
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
