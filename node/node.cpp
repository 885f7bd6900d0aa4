#include "node/node.h"

#include <sys/stat.h>

#include <chrono>
#include <ctime>
#include <filesystem>

#include "node/intent.h"
#include "node/own_key.h"
#include "protocol/records.h"

namespace allmenning {
namespace {

// A commit that failed (a full disk, an I/O error) wrote none of the batch,
// and the caller reports the failure; nothing of it was printed or sent.
// Its intent must not outlive that answer: the next author() would commit it
// as a crash leftover, and a case the operator was told had failed would
// appear. Only when the store confirms the batch is absent is the intent
// removed, which needs no free space. The batch it replaced is committed
// (recoverIntent checked), so all that is lost until the next batch is the
// check for a database restored from an old copy.
Status withdrawIntent(const Store& store, const PublicKey& self, const std::string& intent,
                      const Head& before, Status failure) {
  auto now = store.head(self);
  if (now.isOk() && now->seq == before.seq && now->hash == before.hash) {
    std::error_code ec;
    std::filesystem::remove(intent, ec);
  }
  return failure;
}

// The files of a node that exist in `paths`: what `init` refuses to
// overwrite, and what makes a home without its config a damaged node rather
// than no node at all.
std::vector<std::string> nodeFiles(const HomePaths& paths) {
  std::vector<std::string> found;
  std::error_code ec;
  for (const auto& path : {paths.key(), paths.config(), paths.db(), paths.intent()}) {
    if (std::filesystem::exists(std::filesystem::symlink_status(path, ec))) found.push_back(path);
  }
  return found;
}

}  // namespace

Clock systemClock() {
  return [] {
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
  };
}

std::string caseRef(const CaseKey& key) { return toHex(key.author) + "/" + key.id; }

std::string isoTime(int64_t ms) {
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

Status Node::init(const std::string& home, const InitOptions& options, const Clock& clock) {
  ALM_RETURN_IF_ERROR(checkConfig(options.config));
  ALM_RETURN_IF_ERROR(checkProfile(options.profile));
  HomePaths paths{home};
  if (auto existing = nodeFiles(paths); !existing.empty()) {
    return Status::refused(home + " already holds a node (" + existing.front() +
                           "); refusing to overwrite it");
  }
  std::error_code ec;
  bool created = std::filesystem::create_directories(home, ec);
  if (ec) return Status::ioError("creating " + home + ": " + ec.message());
  if (created) ::chmod(home.c_str(), 0700);  // never change a folder we did not make
  Status st = createNode(paths, options, clock);
  if (!st.isOk()) {
    // Everything below was checked absent above, so all of it is ours: remove
    // it, so that a later init in the same folder works.
    std::filesystem::remove(paths.key(), ec);
    std::filesystem::remove(paths.config(), ec);
    std::filesystem::remove(paths.intent(), ec);
    std::filesystem::remove_all(paths.db(), ec);
    std::filesystem::remove_all(paths.search(), ec);
  }
  return st;
}

Status Node::createNode(const HomePaths& paths, const InitOptions& options, const Clock& clock) {
  const Config& config = options.config;
  auto key = SecretKey::generate();
  ALM_RETURN_IF_ERROR(writeNewKey(paths.key(), *key));
  ALM_RETURN_IF_ERROR(writeFileAtomic(paths.config(), renderConfig(config), 0644, false));
  auto store = Store::open(paths.db(), networkId(config.network), Store::Mode::kCreate);
  if (!store.isOk()) return store.status();
  ALM_RETURN_IF_ERROR((*store)->recordAuthorKey(key->publicKey()));
  std::unique_ptr<Node> node(new Node(paths, config, std::move(key), std::move(*store), clock));
  ALM_RETURN_IF_ERROR(node->checkPlacement());
  ALM_RETURN_IF_ERROR(node->store_->trust(node->id(), options.profile.name));
  // The index is derived: whatever was left in its place is not ours.
  std::error_code ec;
  std::filesystem::remove_all(paths.search(), ec);
  ALM_RETURN_IF_ERROR(node->attachIndex({}));
  return node->author({{Kind::kProfile, encodeProfile(options.profile)}}).status();
}

Result<std::unique_ptr<Node>> Node::open(const std::string& home, const Clock& clock,
                                         const Progress& progress) {
  HomePaths paths{home};
  std::error_code ec;
  if (!std::filesystem::exists(std::filesystem::symlink_status(paths.config(), ec))) {
    auto found = nodeFiles(paths);
    if (found.empty()) {
      return Status::notFound("no node in " + home + " (create one with `allmenning init`)");
    }
    std::string names;
    for (const auto& f : found) {
      names += (names.empty() ? "" : ", ") + std::filesystem::path(f).filename().string();
    }
    return Status::notFound(home + " holds a node (" + names + ") but its config file " +
                            paths.config() +
                            " is missing. Restore it from a backup, or write it again "
                            "(docs/configuration.md) with the same network; `init` will not "
                            "overwrite a node");
  }
  auto config = loadConfig(paths.config());
  if (!config.isOk()) return config.status();
  auto key = loadKey(paths.key());
  if (!key.isOk()) return key.status();
  auto store =
      Store::open(paths.db(), networkId(config->network), Store::Mode::kExisting, progress);
  if (!store.isOk()) return store.status();
  // Before anything below writes: another node's key must not sign here.
  ALM_RETURN_IF_ERROR(claimOwnKey(paths, **store, (*key)->publicKey()));
  std::unique_ptr<Node> node(
      new Node(paths, std::move(*config), std::move(*key), std::move(*store), clock));
  // A node always accepts its own log (a database from before trust existed
  // has no trust entries at all).
  if (!node->store_->trusts(node->id())) {
    auto name = node->store_->authorName(node->id());
    if (!name.isOk()) return name.status();
    ALM_RETURN_IF_ERROR(node->store_->trust(node->id(), name->value_or("")));
  }
  ALM_RETURN_IF_ERROR(node->checkPlacement());
  ALM_RETURN_IF_ERROR(node->attachIndex(progress));
  node->commitLeftoverIntent();
  return node;
}

// A batch signed just before a crash is committed as the node opens, before
// any command reads the log to decide what to write: `case put` and import
// skip a record equal to the live version, and must see the version whose
// seq is already claimed. Whatever stops the commit here (a damaged intent, a
// database that lost entries, a full disk) is left for author() to report,
// so commands that only read still work on such a node.
void Node::commitLeftoverIntent() {
  auto head = store_->head(id());
  if (head.isOk()) (void)recoverIntent(*head);
}

// Reconciles the last signed batch (the intent) with the database before
// anything new is signed. See docs/architecture.md, "The signing intent".
Result<Head> Node::recoverIntent(const Head& head) {
  auto intent = readIntent(paths_.intent());
  if (!intent.isOk()) return intent.status();
  if (intent->empty()) return head;
  const Entry& first = intent->front();
  const Entry& last = intent->back();
  uint64_t from = first.header.seq, to = last.header.seq;
  if (head.seq >= to) {
    auto stored = store_->entry(id(), to);
    if (!stored.isOk()) return stored.status();
    if (*stored && (*stored)->hash == last.hash) return head;
    return Status::refused("this node's log holds a different entry at seq " + std::to_string(to) +
                           " than the one this key signed; refusing to sign more");
  }
  if (head.seq + 1 < from || head.seq >= from) {
    return Status::refused("this node's log ends at seq " + std::to_string(head.seq) +
                           " but this key has already signed up to seq " + std::to_string(to) +
                           "; the database has lost entries. Restore it from a backup or a "
                           "peer before publishing again");
  }
  // The crash came between writing the intent and committing it: commit the
  // very bytes that were signed then, instead of signing the seqs anew.
  auto results = store_->apply(*intent, /*sync=*/true, clock_());
  if (!results.isOk()) return results.status();
  for (const auto& r : *results) {
    if (!r.stored()) {
      return Status::refused("the last signed batch no longer fits the log: " + r.status.message());
    }
  }
  return Head{to, last.hash};
}

Result<std::vector<Entry>> Node::author(std::vector<std::pair<Kind, Bytes>> records) {
  ALM_RETURN_IF_ERROR(checkNotHeld());
  auto stored = store_->head(id());
  if (!stored.isOk()) return stored.status();
  auto head = recoverIntent(*stored);
  if (!head.isOk()) return head.status();

  std::vector<Entry> entries;
  Hash prev = head->hash;
  int64_t now = clock_();
  for (size_t i = 0; i < records.size(); ++i) {
    Header h;
    h.network = store_->network();
    h.author = id();
    h.seq = head->seq + 1 + i;
    h.prev = prev;
    h.kind = records[i].first;
    h.timestamp = now;
    entries.push_back(signEntry(*key_, h, std::move(records[i].second)));
    prev = entries.back().hash;
  }
  // The intent is durable before the commit, and the commit before anything
  // is printed or sent: no seq can ever carry two different signed entries.
  ALM_RETURN_IF_ERROR(writeIntent(paths_.intent(), entries));
  auto results = store_->apply(entries, /*sync=*/true, now);
  if (!results.isOk()) {
    return withdrawIntent(*store_, id(), paths_.intent(), *head, results.status());
  }
  for (const auto& r : *results) {
    if (!r.stored()) return r.status.isOk() ? Status::refused("entry was not stored") : r.status;
  }
  published(entries);
  return entries;
}

Result<VerifyReport> Node::verify(const std::function<void(uint64_t)>& progress) {
  // Every read sees one snapshot, so a head that moves between reading the
  // logs and reading the heads is no corruption; entries from peers are
  // stored meanwhile, and the network thread never waits for verify.
  Store::PinnedReads pinned(*store_);
  return verifyStore(*store_, progress);
}

}  // namespace allmenning
