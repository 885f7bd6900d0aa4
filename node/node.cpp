#include "node/node.h"

#include <sys/stat.h>

#include <chrono>
#include <ctime>
#include <filesystem>

#include "protocol/records.h"

namespace allmenning {

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
  HomePaths paths{home};
  std::error_code ec;
  std::filesystem::create_directories(home, ec);
  if (ec) return Status::ioError("creating " + home + ": " + ec.message());
  ::chmod(home.c_str(), 0700);
  if (std::filesystem::exists(paths.key()) || std::filesystem::exists(paths.config())) {
    return Status::refused(home + " already holds a node; refusing to overwrite it");
  }
  Status st = createNode(paths, options.config, clock);
  if (!st.isOk()) {
    // Leave nothing half-made: a later init in the same folder must work.
    std::filesystem::remove(paths.key(), ec);
    std::filesystem::remove(paths.config(), ec);
    std::filesystem::remove_all(paths.db(), ec);
  }
  return st;
}

Status Node::createNode(const HomePaths& paths, const Config& config, const Clock& clock) {
  auto key = SecretKey::generate();
  ALM_RETURN_IF_ERROR(writeNewKey(paths.key(), *key));
  ALM_RETURN_IF_ERROR(writeFileAtomic(paths.config(), renderConfig(config), 0644));
  auto node = open(paths.root, clock);
  if (!node.isOk()) return node.status();
  auto profile = encodeProfile(ProfileRecord{config.name, config.orgnr, config.kommunenummer});
  return (*node)->author({{Kind::kProfile, std::move(profile)}}).status();
}

Result<std::unique_ptr<Node>> Node::open(const std::string& home, const Clock& clock) {
  HomePaths paths{home};
  if (!std::filesystem::exists(paths.config())) {
    return Status::notFound("no node in " + home + " (create one with `allmenning init`)");
  }
  auto config = loadConfig(paths.config());
  if (!config.isOk()) return config.status();
  auto key = loadKey(paths.key());
  if (!key.isOk()) return key.status();
  auto store = Store::open(paths.db(), networkId(config->network));
  if (!store.isOk()) return store.status();
  return std::unique_ptr<Node>(
      new Node(std::move(*config), std::move(*key), std::move(*store), clock));
}

// A reservation is written before signing and stays until the next one, so
// the head of our own log must be at or past its start minus one. A head
// below that means the database lost entries this key already signed;
// signing again would put two different entries under one seq.
Status Node::checkReservation(const Head& head) {
  auto r = store_->reservation(id());
  if (!r.isOk()) return r.status();
  if (!*r || head.seq + 1 >= (*r)->from) return Status::ok();
  return Status::refused("this node's log ends at seq " + std::to_string(head.seq) +
                         " but seqs up to " + std::to_string((*r)->to) +
                         " were already reserved for signing; the database has lost entries. "
                         "Restore it from a backup or a peer before publishing again");
}

Result<std::vector<Entry>> Node::author(std::vector<std::pair<Kind, Bytes>> records) {
  auto head = store_->head(id());
  if (!head.isOk()) return head.status();
  ALM_RETURN_IF_ERROR(checkReservation(*head));
  uint64_t from = head->seq + 1, to = head->seq + records.size();
  ALM_RETURN_IF_ERROR(store_->reserve(id(), Reservation{from, to}));

  std::vector<Entry> entries;
  Hash prev = head->hash;
  int64_t now = clock_();
  for (size_t i = 0; i < records.size(); ++i) {
    Header h;
    h.network = store_->network();
    h.author = id();
    h.seq = from + i;
    h.prev = prev;
    h.kind = records[i].first;
    h.timestamp = now;
    entries.push_back(signEntry(*key_, h, std::move(records[i].second)));
    prev = entries.back().hash;
  }
  auto results = store_->apply(entries, /*sync=*/true);
  if (!results.isOk()) return results.status();
  for (const auto& r : *results) {
    if (!r.stored()) return r.status.isOk() ? Status::refused("entry was not stored") : r.status;
  }
  return entries;
}

Result<VerifyReport> Node::verify(const std::function<void(uint64_t)>& progress) {
  return verifyStore(*store_, progress);
}

}  // namespace allmenning
