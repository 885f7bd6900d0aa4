// The full-text index under <home>/search: one Xapian document per live
// case, kept current from the entries the store accepts, ranked with BM25.
//
// It is derived data. Beside the documents it records, per author, the seq
// of the last entry it has applied ("seq:<author hex>" metadata), committed
// in the same Xapian transaction as the documents. At open the node compares
// these with the store's heads and applies what is missing, so a crash
// between the RocksDB commit and the Xapian commit costs a catch-up, never
// a wrong result; a missing index or another format version is rebuilt.
//
// Errors. Xapian's exceptions never leave this class: each method returns
// them as a Status. When Xapian finds the files damaged (a DatabaseError
// that no failed system call explains: a truncated, emptied or overwritten
// table), or the index holds a value it never writes, the method returns
// kCorruption and damaged() turns true: the caller sets the folder aside
// (setAside) and rebuilds it from the store, as it would a missing one. A
// lock held elsewhere, or a system call that failed (a full disk), is
// kIOError and leaves the index as it is.
//
// Thread safety: every method takes the index's mutex; the running node
// writes from its network and admin threads and searches from the admin one.
#pragma once

#include <xapian.h>

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "protocol/entry.h"
#include "protocol/status.h"
#include "search/query_text.h"
#include "search/text.h"
#include "storage/store.h"

namespace allmenning::search {

struct Hit {
  CaseKey key;
  double score = 0;      // BM25; comparable within one query only
  bool partial = false;  // holds some parts of the query, not all
};

// The answer to a text query.
struct Answer {
  Page<Hit> page;   // full matches first, then partial ones
  size_t full = 0;  // how many of page.total hold every part
  // The parts (query_text.h: words as typed, "phrases" quoted) that no case
  // under the filters holds; filled when no case holds every part.
  std::vector<std::string> unmatched;
  // When no case held every word as typed and the index's own spelling of
  // some words found full matches: each word typed and the word searched
  // instead. The answer is then the one for the corrected words.
  std::vector<std::pair<std::string, std::string>> corrections;
  std::string searched;  // the query the answer is for, to mark snippets by
};

// A case like a described need: its BM25 weight against the need's words,
// and the query words (stems) it contains.
struct Similar {
  CaseKey key;
  double weight = 0;
  std::vector<std::string> terms;
};

class SearchIndex {
 public:
  // Opens the index in `dir`, creating an empty one when there is none or
  // when it has another format version (`needsBuild()` then says so).
  // kCorruption: the files in `dir` are damaged (see above).
  static Result<std::unique_ptr<SearchIndex>> open(const std::string& dir);
  // Moves the index folder `dir` aside, to `dir`.damaged-`stamp`, in place
  // of an older one set aside there (at most one is kept, for a look at
  // what went wrong). Returns the new path. The folder must not be open.
  static Result<std::string> setAside(const std::string& dir, const std::string& stamp);
  // Builds a new index in `dir`.tmp from `fill`, then puts it in place of
  // `dir` with one rename, so a crash leaves the old index or the new one.
  static Result<std::unique_ptr<SearchIndex>> rebuild(
      const std::string& dir, const std::function<Status(SearchIndex&)>& fill);

  // True when open() found no usable index and started an empty one.
  bool needsBuild() const { return needsBuild_; }
  // True once a method has found the files damaged; see above.
  bool damaged() const;

  // Applies one stored entry: a case replaces its document, a retract
  // removes it, other kinds change nothing. Records the entry's seq.
  Status apply(const Entry& e);
  // The seq of `author`'s last applied entry; 0 when none.
  Result<uint64_t> appliedSeq(const PublicKey& author) const;
  // Makes what was applied durable. Searches see it before.
  Status commit();

  // Live cases matching the filters and `text` (query_text.h): first those
  // holding every part of it (each word as its stem, a compound head at half
  // weight, an æ/ø/å folding lower), best first, ties by case key; then
  // those holding only some parts, ranked the same way; none holding an
  // excluded word. Without parts: every case matching the filters, most
  // recent first. At most filter.limit hits after filter.offset, the exact
  // total, and the parts that match nothing.
  Result<Answer> query(const std::string& text, const SearchFilter& filter) const;
  // Cases sharing any word of `text` (any one is enough; more and rarer
  // words weigh more) or any of `cpvPrefixes`, best text match first; at
  // most `limit`. A case that shares only a CPV prefix has weight 0.
  Result<std::vector<Similar>> similar(const std::string& text,
                                       const std::vector<std::string>& cpvPrefixes,
                                       size_t limit) const;
  // Whether a word of a result's text matches a word of `text`, for
  // highlighting.
  static std::function<bool(const Word&)> matcher(const std::string& text);

  Result<size_t> documents() const;

 private:
  SearchIndex(std::string dir, Xapian::WritableDatabase db, bool needsBuild)
      : dir_(std::move(dir)), db_(std::move(db)), needsBuild_(needsBuild) {}
  // Runs `body` with the mutex held, turning whatever it throws into a
  // Status (and a damaged index into damaged()).
  template <typename F>
  auto guarded(const std::string& what, F&& body) const -> decltype(body());
  Status damage(const std::string& what) const;
  Result<Answer> answer(const QueryText& q, const SearchFilter& filter) const;
  void forgetSpellings(const std::string& idTerm);
  Status collect(const Xapian::Query& query, bool ranked, bool partial, size_t offset, size_t limit,
                 Page<Hit>& page, size_t& total) const;
  Status putCase(const Entry& e);
  Status removeCase(const PublicKey& author, const std::string& id);

  const std::string dir_;
  mutable std::mutex mu_;
  Xapian::WritableDatabase db_;
  bool needsBuild_ = false;
  mutable bool damaged_ = false;
};

}  // namespace allmenning::search
