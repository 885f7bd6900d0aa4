#include "node/backup.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <tuple>

#include "node/backup_files.h"

namespace allmenning {
namespace fs = std::filesystem;
namespace {

Json headsJson(const std::vector<std::pair<PublicKey, Head>>& heads) {
  Json out = Json::array();
  for (const auto& [author, head] : heads) {
    out.push_back({{"author", toHex(author)}, {"seq", head.seq}, {"hash", toHex(head.hash)}});
  }
  return out;
}

// Copies key, config and intent (when there is one) into `to`.
Status copyHomeFiles(const HomePaths& home, const std::string& to) {
  std::error_code ec;
  for (const auto& [from, name, mode] :
       {std::tuple{home.key(), "key", 0600u}, std::tuple{home.config(), "allmenning.toml", 0644u},
        std::tuple{home.intent(), "intent", 0600u}}) {
    if (std::string(name) == "intent" && !fs::exists(from, ec)) continue;
    auto sum = copyFileSummed(from, to + "/" + name, mode);
    if (!sum.isOk()) return sum.status();
  }
  return Status::ok();
}

// Copies every file of `from` into `to`, and lists each with its sum.
Result<Json> copySummed(const std::string& from, const std::string& to, BackupReport& report) {
  auto files = listFiles(from);
  if (!files.isOk()) return files.status();
  Json list = Json::array();
  for (const auto& rel : *files) {
    std::error_code ec;
    fs::create_directories(fs::path(to + "/" + rel).parent_path(), ec);
    if (ec) return Status::ioError("creating a folder in " + to + ": " + ec.message());
    unsigned mode = rel == "key" || rel == "intent" ? 0600 : 0644;
    auto sum = copyFileSummed(from + "/" + rel, to + "/" + rel, mode);
    if (!sum.isOk()) return sum.status();
    list.push_back({{"path", rel}, {"bytes", sum->bytes}, {"sha256", sum->sha256}});
    report.bytes += sum->bytes;
  }
  report.files = files->size();
  return list;
}

}  // namespace

// Two steps. A snapshot inside the home, taken with writers held off: a
// checkpoint (hard links to the database's files, so it is quick whatever
// the size) and the key, config and intent of that moment. author() writes
// its intent before it takes that lock, so the intent is the checkpoint's
// last batch or the one after it, which restore commits. Then, with writers
// running again, the snapshot is copied to `dir`, each file summed as it is
// copied: copies, not links, so damage to the database cannot reach the
// backup, and a backup on another file system takes as long as it takes
// without stalling the node.
Result<BackupReport> writeBackup(Node& node, const std::string& dir) {
  ALM_RETURN_IF_ERROR(checkEmptyTarget(dir, "write a backup"));
  auto [parent, name] = parentAndName(dir);
  auto snap = makeStaging(node.paths().root, "backup", "snapshot");
  if (!snap.isOk()) return snap.status();
  Staging snapshot{*snap};
  BackupReport report;
  report.node = node.id();
  report.created = isoTime(node.now());
  {
    auto paused = node.store().pauseWrites();
    auto heads = node.store().heads();
    if (!heads.isOk()) return heads.status();
    report.heads = std::move(*heads);
    ALM_RETURN_IF_ERROR(node.store().checkpoint(snapshot.path + "/db"));
    ALM_RETURN_IF_ERROR(copyHomeFiles(node.paths(), snapshot.path));
  }
  auto out = makeStaging(parent, name, "partial");
  if (!out.isOk()) return out.status();
  Staging staging{*out};
  auto list = copySummed(snapshot.path, staging.path, report);
  if (!list.isOk()) return list.status();
  Json manifest{{"format", kBackupFormat},          {"node", toHex(report.node)},
                {"network", node.config().network}, {"created", report.created},
                {"heads", headsJson(report.heads)}, {"files", std::move(*list)}};
  ALM_RETURN_IF_ERROR(writeFileAtomic(staging.path + "/" + kManifestName, manifest.dump(2) + "\n",
                                      0600, /*replace=*/false));
  ALM_RETURN_IF_ERROR(syncFolders(staging.path));
  // rename(2) replaces an empty folder and refuses a full one.
  if (::rename(staging.path.c_str(), dir.c_str()) != 0) {
    return Status::ioError("moving the backup into " + dir + ": " + std::strerror(errno));
  }
  staging.keep = true;
  ALM_RETURN_IF_ERROR(syncFolder(parent));
  return report;
}

}  // namespace allmenning
