// Finding cases: structured filters from the store's indexes, free text and
// --year from the search index, which follows the store through onStored.
#include <filesystem>

#include "node/node.h"
#include "protocol/case_json.h"
#include "search/case_document.h"
#include "search/search_index.h"

namespace allmenning {
namespace {

// Commit the index at most this often while entries stream in; what is not
// committed when the process dies is applied again at the next start.
constexpr int64_t kIndexCommitMs = 1000;
constexpr size_t kIndexCommitEntries = 5000;
constexpr uint64_t kProgressEvery = 10000;

void report(const Progress& progress, const std::string& line) {
  if (progress) progress("search index: " + line);
}

uint64_t entryCount(const std::vector<std::pair<PublicKey, Head>>& heads) {
  uint64_t n = 0;
  for (const auto& [author, head] : heads) n += head.seq;
  return n;
}

// The shape of `search --json`: the page of rows, and where it lies in all.
Json searchPage(const SearchFilter& filter, size_t total, Json rows) {
  return Json{{"total", total}, {"offset", filter.offset}, {"cases", std::move(rows)}};
}

}  // namespace

Node::Node(HomePaths paths, Config config, std::unique_ptr<SecretKey> key,
           std::unique_ptr<Store> store, Clock clock)
    : paths_(std::move(paths)),
      config_(std::move(config)),
      key_(std::move(key)),
      store_(std::move(store)),
      clock_(std::move(clock)) {}

Node::~Node() {
  std::lock_guard lock(indexMu_);
  if (index_) (void)index_->commit();
}

// Opens <home>/search and brings it level with the store, then hooks it to
// every later apply. A damaged index is set aside and rebuilt, as a missing
// one is.
Status Node::attachIndex(const Progress& progress) {
  std::lock_guard lock(indexMu_);
  indexProgress_ = progress;
  auto index = search::SearchIndex::open(paths_.search());
  if (index.isOk()) {
    index_ = std::move(*index);
    Status st = index_->needsBuild() ? rebuildIndexLocked(progress)
                                     : useIndexLocked([&] { return catchUpIndexLocked(progress); });
    ALM_RETURN_IF_ERROR(st);
  } else if (index.status().code() == Status::Code::kCorruption) {
    ALM_RETURN_IF_ERROR(recoverIndexLocked(index.status()));
  } else {
    return index.status();
  }
  lastIndexCommit_ = clock_();
  store_->setStoredListener([this](const std::vector<Entry>& e) { onStored(e); });
  return Status::ok();
}

// A batch stored while this runs waits in onStored and is applied after;
// if the rebuild already saw it, applying it again changes nothing.
Status Node::reindex(const Progress& progress) {
  std::lock_guard lock(indexMu_);
  return rebuildIndexLocked(progress);
}

// Every use of the index goes through here. The index is derived data, so
// damage to its files costs a rebuild, never the node: the index is set
// aside and rebuilt from the store, and `use` runs once more on the new one.
Status Node::useIndexLocked(const std::function<Status()>& use) {
  if (!indexError_.isOk()) {
    return Status::ioError("the search index failed (" + indexError_.message() +
                           "); run `allmenning reindex`");
  }
  if (!index_) return Status::ioError("the search index is not open");
  Status st = use();
  if (st.isOk() || !index_ || !index_->damaged()) return st;
  ALM_RETURN_IF_ERROR(recoverIndexLocked(st));
  return use();
}

// Reported once, with the folder and Xapian's words; the old files are
// kept for a look (one set at most), and the rebuild reports its progress.
Status Node::recoverIndexLocked(const Status& damage) {
  index_.reset();
  std::string stamp = isoTime(clock_());
  std::erase_if(stamp, [](char c) { return c == '-' || c == ':'; });
  auto aside = search::SearchIndex::setAside(paths_.search(), stamp);
  if (!aside.isOk()) {
    indexError_ = Status::ioError(damage.message() + "; " + aside.status().message());
    return indexError_;
  }
  report(indexProgress_,
         damage.message() + "; moved it to " + *aside + " and rebuilding it from the database");
  Status st = rebuildIndexLocked(indexProgress_);
  if (!st.isOk()) indexError_ = st;
  return st;
}

Status Node::rebuildIndexLocked(const Progress& progress) {
  auto heads = store_->heads();
  if (!heads.isOk()) return heads.status();
  uint64_t total = entryCount(*heads), done = 0;
  report(progress, "building from " + std::to_string(total) + " entries in " + paths_.search());
  // Xapian allows one writer, and the rebuild replaces the folder. What the
  // old index did not commit is in the store, so the rebuild has it.
  index_.reset();
  auto rebuilt = search::SearchIndex::rebuild(paths_.search(), [&](search::SearchIndex& idx) {
    return store_->forEachEntry([&](Result<Entry> e) -> Status {
      if (!e.isOk()) return e.status();
      ALM_RETURN_IF_ERROR(idx.apply(*e));
      if (++done % kProgressEvery == 0) {
        report(progress, std::to_string(done) + " of " + std::to_string(total) + " entries");
      }
      return Status::ok();
    });
  });
  if (!rebuilt.isOk()) return rebuilt.status();
  index_ = std::move(*rebuilt);
  indexError_ = Status::ok();
  auto documents = index_->documents();
  if (!documents.isOk()) return documents.status();
  report(progress, "built: " + std::to_string(*documents) + " cases");
  return Status::ok();
}

// Applies, author by author, the entries the index has not seen: those a
// crash kept out of its last commit.
Status Node::catchUpIndexLocked(const Progress& progress) {
  auto heads = store_->heads();
  if (!heads.isOk()) return heads.status();
  std::vector<std::pair<PublicKey, std::pair<uint64_t, uint64_t>>> behind;
  uint64_t missing = 0;
  for (const auto& [author, head] : *heads) {
    auto applied = index_->appliedSeq(author);
    if (!applied.isOk()) return applied.status();
    // Ahead of the store: the index belongs to another copy of the data.
    if (*applied > head.seq) return rebuildIndexLocked(progress);
    if (*applied < head.seq) behind.push_back({author, {*applied + 1, head.seq}});
    missing += head.seq - std::min(*applied, head.seq);
  }
  if (missing == 0) return Status::ok();
  report(progress, "applying " + std::to_string(missing) + " entries it lacks");
  for (const auto& [author, range] : behind) {
    for (uint64_t seq = range.first; seq <= range.second; ++seq) {
      auto e = store_->entry(author, seq);
      if (!e.isOk()) return e.status();
      if (!*e)
        return Status::corruption("log of " + toHex(author) + " lacks seq " + std::to_string(seq));
      ALM_RETURN_IF_ERROR(index_->apply(**e));
    }
  }
  return index_->commit();
}

// Called by the store under its write lock, after each commit. A failure
// that is not damage (a full disk) stops the index following the store
// until `reindex`; searches say so meanwhile.
void Node::onStored(const std::vector<Entry>& entries) {
  std::lock_guard lock(indexMu_);
  if (!index_ || !indexError_.isOk()) return;
  Status st = useIndexLocked([&] {
    for (const Entry& e : entries) ALM_RETURN_IF_ERROR(index_->apply(e));
    uncommitted_ += entries.size();
    int64_t now = clock_();
    if (uncommitted_ < kIndexCommitEntries && now - lastIndexCommit_ < kIndexCommitMs) {
      return Status::ok();
    }
    uncommitted_ = 0;
    lastIndexCommit_ = now;
    return index_->commit();
  });
  if (!st.isOk() && indexError_.isOk()) indexError_ = st;
}

// Search rows read only the current version: the chain walk that `case show`
// does would make a search cost grow with every author's log length.
Result<Json> Node::searchRow(const CaseKey& key, const std::string& text, Json* recordOut) {
  auto state = store_->caseState(key);
  if (!state.isOk()) return state.status();
  if (!*state || (*state)->retracted) {
    return Status::corruption("the search index lists " + caseRef(key) +
                              ", which is not a live case; run `allmenning reindex`");
  }
  auto e = store_->entry(key.author, (*state)->seq);
  if (!e.isOk()) return e.status();
  if (!*e || !(*e)->payload) return Status::corruption("case " + caseRef(key) + " has no payload");
  auto record = decodeCase(*(*e)->payload);
  if (!record.isOk()) return record.status();
  auto standing = standingJson(key.author);
  if (!standing.isOk()) return standing.status();
  Json row{{"case", caseRef(key)}, {"title", (*record)["title"]}, {"author", toHex(key.author)}};
  row.update(*standing);
  row.update(Json{{"procedure", (*record)["procedure"]},
                  {"status", (*record)["status"]},
                  {"updated", isoTime((*e)->header.timestamp)}});
  if (recordOut) *recordOut = *record;
  if (text.empty()) return row;
  auto hit = search::SearchIndex::matcher(text);
  std::string snippet;
  for (const std::string& field : search::snippetFields(*record)) {
    snippet = search::snippet(field, hit);
    if (!snippet.empty()) break;
  }
  row["snippet"] = snippet;
  return row;
}

Result<Json> Node::textSearch(const SearchFilter& filter) {
  Result<search::Answer> answer = search::Answer{};
  {
    std::lock_guard lock(indexMu_);
    ALM_RETURN_IF_ERROR(useIndexLocked([&] {
      answer = index_->query(filter.text, filter);
      return answer.status();
    }));
  }
  Json rows = Json::array();
  for (const auto& hit : answer->page.items) {
    auto row = searchRow(hit.key, filter.text.empty() ? "" : answer->searched);
    if (!row.isOk()) return row.status();
    if (!filter.text.empty()) (*row)["score"] = hit.score;
    if (hit.partial) (*row)["partial"] = true;
    rows.push_back(std::move(*row));
  }
  Json page = searchPage(filter, answer->page.total, std::move(rows));
  if (!filter.text.empty()) {
    page["full"] = answer->full;
    page["unmatched"] = answer->unmatched;
    page["corrections"] = Json::array();
    for (const auto& [typed, searched] : answer->corrections) {
      page["corrections"].push_back(Json{{"typed", typed}, {"searched", searched}});
    }
  }
  return page;
}

Result<Json> Node::search(const SearchFilter& filter) {
  if (!filter.text.empty() || filter.year) return textSearch(filter);
  auto keys = store_->search(filter);
  if (!keys.isOk()) return keys.status();
  Json rows = Json::array();
  for (const auto& key : keys->items) {
    auto row = searchRow(key, "");
    if (!row.isOk()) return row.status();
    rows.push_back(std::move(*row));
  }
  return searchPage(filter, keys->total, std::move(rows));
}

}  // namespace allmenning
