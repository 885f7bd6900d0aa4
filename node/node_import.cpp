// Node: import of JSON lines, pass 1 (checkImportFile, import_file.h).
//
// Lines are read in file order once to check each on its own and to index
// it; then the signed entries are read again in (author, seq) order, so a
// file in any order is checked as the logs it extends, with O(1) state per
// author: only the author whose entries are being read is held.
#include <set>

#include "node/import_file.h"
#include "protocol/records.h"

namespace allmenning {
namespace {

constexpr size_t kMaxErrorsShown = 20;

// The errors of pass 1, the first kMaxErrorsShown of them.
class ErrorList {
 public:
  explicit ErrorList(std::string path) : path_(std::move(path)) {}

  void add(uint64_t line, const Status& st) {
    if (errors_.size() > kMaxErrorsShown) return;
    errors_.push_back(errors_.size() < kMaxErrorsShown
                          ? path_ + ":" + std::to_string(line) + ": " + st.message()
                          : "(further errors not shown)");
  }

  Status status() const {
    if (errors_.empty()) return Status::ok();
    std::string msg = "nothing imported; fix these lines first:";
    for (const auto& e : errors_) msg += "\n  " + e;
    return Status::invalid(msg);
  }

 private:
  std::string path_;
  std::vector<std::string> errors_;
};

// One author's chain as the file extends it, fed seq by seq.
class ChainCheck {
 public:
  explicit ChainCheck(const Store& store) : store_(store) {}

  // Ok for an entry that extends the chain, repeats one, or forks it (pass
  // 2 records the proof; the author's later entries are then judged frozen).
  Status place(const Entry& e) {
    const PublicKey& a = e.header.author;
    if (!author_ || *author_ != a) {
      auto h = store_.head(a);
      if (!h.isOk()) return h.status();
      author_ = a;
      head_ = *h;
      storedSeq_ = h->seq;
      forked_ = false;
    }
    if (forked_) return Status::ok();
    std::optional<Hash> atSeq;
    if (e.header.seq <= storedSeq_) {
      auto stored = store_.entry(a, e.header.seq);
      if (!stored.isOk()) return stored.status();
      if (*stored) atSeq = (*stored)->hash;
    } else if (e.header.seq == head_.seq) {
      atSeq = head_.hash;  // the file's own entry at this seq, just placed
    }
    Placement p = placeEntry(head_, e, atSeq);
    if (p == Placement::kNext) head_ = Head{e.header.seq, e.hash};
    forked_ = p == Placement::kFork;
    if (p == Placement::kNext || p == Placement::kDuplicate || forked_) return Status::ok();
    return Status::invalid(placementName(p) + " in the chain of author " + toHex(a) + " at seq " +
                           std::to_string(e.header.seq));
  }

 private:
  const Store& store_;
  std::optional<PublicKey> author_;
  Head head_;
  uint64_t storedSeq_ = 0;
  bool forked_ = false;
};

Status untrusted(const PublicKey& author) {
  return Status::refused("author " + toHex(author) +
                         " is not trusted by this node (allmenning trust add " + toHex(author) +
                         ")");
}

}  // namespace

Status checkImportFile(const Store& store, ImportFile& file, LineIndex& index) {
  ErrorList errors(file.path());
  std::set<PublicKey> vouched;  // by authors this node trusts directly
  ALM_RETURN_IF_ERROR(file.forEachLine([&](uint64_t n, uint64_t offset, Result<ImportItem> item) {
    Status st = item.status();
    if (st.isOk() && item->entry) {
      const Entry& e = *item->entry;
      st = checkEntry(e, store.network());
      if (st.isOk()) st = checkPayload(e.header.kind, *e.payload);
      if (st.isOk() && e.header.kind == Kind::kVouch && store.trusts(e.header.author)) {
        vouched.insert(decodeVouch(*e.payload)->key);  // checked by checkPayload above
      }
    }
    if (!st.isOk()) {
      errors.add(n, st);
      return Status::ok();
    }
    IndexedLine l{item->entry.has_value(), {}, 0, n, offset};
    if (item->entry) {
      l.author = item->entry->header.author;
      l.seq = item->entry->header.seq;
    }
    return index.add(l);
  }));
  ALM_RETURN_IF_ERROR(index.finish());
  ChainCheck chain(store);
  std::optional<PublicKey> last;
  ALM_RETURN_IF_ERROR(index.forEach([&](const IndexedLine& l) -> Status {
    if (!l.entry) return Status::ok();
    if (last != l.author && !store.accepts(l.author) && !vouched.count(l.author)) {
      errors.add(l.line, untrusted(l.author));
    }
    last = l.author;
    auto item = file.lineAt(l.offset);
    if (!item.isOk() || !item->entry) {
      return Status::invalid(file.path() + " changed during import");
    }
    Status st = chain.place(*item->entry);
    if (st.code() == Status::Code::kIOError) return st;
    if (!st.isOk()) errors.add(l.line, st);
    return Status::ok();
  }));
  return errors.status();
}

}  // namespace allmenning
