#include "tests/cli/crash_util.h"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>

#include "node/home.h"
#include "protocol/crypto.h"
#include "storage/store.h"
#include "tests/test_util.h"

namespace allmenning::testing {

std::optional<std::vector<LoggedEntry>> logOf(const FedNode& node, const std::string& author) {
  auto r = node.cli({"export", "--format", "jsonl"});
  if (r.exitCode != 0) return std::nullopt;
  std::vector<LoggedEntry> out;
  for (const auto& line : linesOf(r.out)) {
    FedJson e = FedJson::parse(line, nullptr, false);
    if (e.is_discarded()) return std::nullopt;
    if (e["author"] != author) continue;
    LoggedEntry entry{e["seq"].get<uint64_t>(), e["entryHash"].get<std::string>(), ""};
    if (e["kind"] == "case") entry.caseId = e["record"]["id"].get<std::string>();
    out.push_back(std::move(entry));
  }
  return out;
}

void HeadWatch::check(const FedJson& status, const std::string& who) {
  std::map<std::string, uint64_t> now;
  for (const auto& a : status["authors"]) now[a["key"]] = a["seq"].get<uint64_t>();
  for (auto& [author, seen] : heads_) {
    uint64_t seq = now.count(author) ? now[author] : 0;
    EXPECT_GE(seq, seen) << who << "'s head of " << author.substr(0, 16) << " went back";
  }
  for (const auto& [author, seq] : now) heads_[author] = std::max(heads_[author], seq);
}

uint64_t HeadWatch::seqOf(const std::string& author) const {
  auto it = heads_.find(author);
  return it == heads_.end() ? 0 : it->second;
}

void OwnLogWatch::record(const std::vector<LoggedEntry>& log, const std::string& where) {
  uint64_t expected = 1;
  for (const auto& e : log) {
    EXPECT_EQ(e.seq, expected++) << where << ": the log has a gap";
    auto [it, added] = hashes_.emplace(e.seq, e.hash);
    EXPECT_EQ(it->second, e.hash) << where << ": seq " << e.seq
                                  << " now holds another entry than it did: signed twice";
    if (!e.caseId.empty()) caseIds_.insert(e.caseId);
  }
  // Entries once seen never disappear from the log.
  EXPECT_GE(log.size(), hashes_.size()) << where << ": the log lost entries";
}

CaseAuthor::CaseAuthor(const FedNode& node, std::string dir) : node_(node), dir_(std::move(dir)) {
  std::filesystem::create_directories(dir_);
  thread_ = std::thread([this] { loop(); });
}

CaseAuthor::~CaseAuthor() { stop(); }

void CaseAuthor::resume() {
  std::lock_guard lock(mu_);
  running_ = true;
  cv_.notify_all();
}

void CaseAuthor::pause() {
  std::unique_lock lock(mu_);
  running_ = false;
  cv_.wait(lock, [&] { return !busy_; });
}

void CaseAuthor::stop() {
  {
    std::lock_guard lock(mu_);
    quit_ = true;
    cv_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
}

void CaseAuthor::loop() {
  for (int n = 1;; ++n) {
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return quit_ || running_; });
      if (quit_) return;
      busy_ = true;
    }
    std::string id = "own-" + std::to_string(n);
    std::string file = dir_ + "/" + id + ".json";
    writeFile(file, caseJson(id));
    auto r = node_.cli({"case", "put", file});
    std::lock_guard lock(mu_);
    busy_ = false;
    ++attempts_;
    if (r.exitCode == 0) {
      acked_.insert(id);
      std::string ref = r.out.substr(0, r.out.find('\n'));
      if (ref != node_.key() + "/" + id) wrongRefs_.push_back(ref);
    }
    cv_.notify_all();
  }
}

void CaseAuthor::checkPresent(const std::set<std::string>& present) const {
  std::lock_guard lock(mu_);
  for (const auto& ref : wrongRefs_) ADD_FAILURE() << "case put printed " << ref;
  for (const auto& id : acked_) {
    EXPECT_TRUE(present.count(id)) << "acknowledged case " << id << " is missing";
  }
}

std::set<std::string> CaseAuthor::acked() const {
  std::lock_guard lock(mu_);
  return acked_;
}

int CaseAuthor::attempts() const {
  std::lock_guard lock(mu_);
  return attempts_;
}

namespace {

// Every entry `store` holds except those of `dropped`, author by author.
Result<std::vector<Entry>> entriesExcept(const Store& store, const PublicKey& dropped) {
  auto heads = store.heads();
  if (!heads.isOk()) return heads.status();
  std::vector<Entry> out;
  for (const auto& [author, head] : *heads) {
    if (author == dropped) continue;
    for (uint64_t seq = 1; seq <= head.seq; ++seq) {
      auto e = store.entry(author, seq);
      if (!e.isOk()) return e.status();
      if (!*e) return Status::corruption("missing seq " + std::to_string(seq));
      out.push_back(std::move(**e));
    }
  }
  return out;
}

}  // namespace

Result<uint64_t> dropCopyOf(const FedNode& node, const std::string& author) {
  HomePaths paths{node.home()};
  auto config = loadConfig(paths.config());
  if (!config.isOk()) return config.status();
  Hash network = networkId(config->network);
  auto dropped = fromHexFixed<32>(author);
  if (!dropped) return Status::invalid("bad author");
  std::vector<Entry> kept;
  std::vector<TrustedKey> trusted;
  std::vector<PeerAddress> peers;
  std::optional<PublicKey> authorKey;
  uint64_t droppedHead = 0;
  {
    auto old = Store::open(paths.db(), network, Store::Mode::kExisting);
    if (!old.isOk()) return old.status();
    auto head = (*old)->head(*dropped);
    if (!head.isOk()) return head.status();
    droppedHead = head->seq;
    auto entries = entriesExcept(**old, *dropped);
    auto t = (*old)->trusted();
    auto p = (*old)->peers();
    auto k = (*old)->authorKey();
    if (!entries.isOk() || !t.isOk() || !p.isOk() || !k.isOk()) {
      return Status::ioError("reading the old store");
    }
    authorKey = *k;
    kept = std::move(*entries);
    trusted = std::move(*t);
    peers = std::move(*p);
  }
  std::string fresh = paths.db() + ".fresh";
  {
    auto store = Store::open(fresh, network, Store::Mode::kCreate);
    if (!store.isOk()) return store.status();
    if (authorKey) {
      if (Status st = (*store)->recordAuthorKey(*authorKey); !st.isOk()) return st;
    }
    for (const auto& t : trusted) {
      if (Status st = (*store)->trust(t.key, t.name); !st.isOk()) return st;
    }
    for (const auto& p : peers) {
      if (Status st = (*store)->addPeer(p); !st.isOk()) return st;
    }
    auto results = (*store)->apply(kept, /*sync=*/true, 0);
    if (!results.isOk()) return results.status();
    for (const auto& r : *results) {
      if (!r.stored()) return Status::corruption("not stored again: " + r.status.message());
    }
  }
  std::filesystem::remove_all(paths.db());
  std::filesystem::rename(fresh, paths.db());
  std::filesystem::remove_all(paths.search());
  return droppedHead;
}

}  // namespace allmenning::testing
