// restoreBackup (node/backup.h): check a backup against its manifest while
// copying it into a staging folder, then move it into place whole.
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <set>

#include "node/backup.h"
#include "node/backup_files.h"

namespace allmenning {
namespace fs = std::filesystem;
namespace {

constexpr uintmax_t kMaxManifestBytes = 64u << 20;

struct Manifest {
  PublicKey node{};
  std::string created;
  std::vector<std::pair<PublicKey, Head>> heads;
  std::map<std::string, FileSum> files;  // by relative path
};

Status damaged(const std::string& dir, const std::string& why) {
  return Status::invalid("the backup in " + dir + " is damaged: " + why + "; nothing was restored");
}

// A path the manifest may name: relative, normal, inside the backup.
bool isSafePath(const std::string& p) {
  fs::path path(p);
  if (p.empty() || path.is_absolute() || path.lexically_normal() != path) return false;
  for (const auto& part : path) {
    if (part == ".." || part == ".") return false;
  }
  return p != kManifestName;
}

Result<PublicKey> keyField(const Json& j, const char* field) {
  if (!j.contains(field) || !j[field].is_string()) return Status::invalid(std::string(field));
  auto key = fromHexFixed<32>(j[field].get<std::string>());
  if (!key) return Status::invalid(std::string(field));
  return *key;
}

Status parseHeads(const Json& heads, Manifest& m) {
  if (!heads.is_array()) return Status::invalid("heads");
  for (const auto& h : heads) {
    auto author = keyField(h, "author");
    auto hash = keyField(h, "hash");
    if (!author.isOk() || !hash.isOk() || !h.contains("seq") || !h["seq"].is_number_unsigned()) {
      return Status::invalid("heads");
    }
    m.heads.push_back({*author, Head{h["seq"].get<uint64_t>(), *hash}});
  }
  return Status::ok();
}

Status parseFiles(const Json& files, Manifest& m) {
  if (!files.is_array()) return Status::invalid("files");
  for (const auto& f : files) {
    bool ok = f.is_object() && f.contains("path") && f["path"].is_string() && f.contains("bytes") &&
              f["bytes"].is_number_unsigned() && f.contains("sha256") && f["sha256"].is_string() &&
              fromHexFixed<32>(f["sha256"].get<std::string>());
    if (!ok || !isSafePath(f["path"].get<std::string>())) return Status::invalid("files");
    FileSum sum{f["path"], f["bytes"], f["sha256"]};
    if (!m.files.emplace(sum.path, sum).second) return Status::invalid("files (a path twice)");
  }
  for (const char* needed : {"key", "allmenning.toml", "db/CURRENT"}) {
    if (!m.files.count(needed)) return Status::invalid(std::string("files (no ") + needed + ")");
  }
  return Status::ok();
}

Result<Manifest> readManifest(const std::string& dir) {
  std::string path = dir + "/" + kManifestName;
  std::error_code ec;
  auto size = fs::file_size(path, ec);
  if (ec) return Status::invalid("no backup in " + dir + ": " + path + ": " + ec.message());
  if (size > kMaxManifestBytes) return damaged(dir, "its manifest is larger than 64 MiB");
  std::ifstream in(path, std::ios::binary);
  std::string text(std::istreambuf_iterator<char>(in), {});
  Json j = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return damaged(dir, "its manifest is not JSON");
  if (!j.contains("format") || j["format"] != kBackupFormat) {
    return damaged(dir, "its manifest is not of the format \"" + std::string(kBackupFormat) + "\"");
  }
  Manifest m;
  auto node = keyField(j, "node");
  Status st = node.isOk() ? Status::ok() : node.status();
  if (st.isOk())
    st = j.contains("created") && j["created"].is_string() ? Status::ok()
                                                           : Status::invalid("created");
  if (st.isOk()) st = parseHeads(j.value("heads", Json()), m);
  if (st.isOk()) st = parseFiles(j.value("files", Json()), m);
  if (!st.isOk()) return damaged(dir, "its manifest has no valid field " + st.message());
  m.node = *node;
  m.created = j["created"].get<std::string>();
  return m;
}

// Copies every file of the manifest into `to`, checking each as it is
// copied, and refuses a file the manifest does not list.
Status copyChecked(const std::string& dir, const Manifest& m, const std::string& to) {
  auto present = listFiles(dir);
  if (!present.isOk()) return damaged(dir, present.status().message());
  std::set<std::string> listed;
  for (const auto& [rel, sum] : m.files) listed.insert(rel);
  for (const auto& rel : *present) {
    if (rel != kManifestName && !listed.count(rel)) {
      return damaged(dir, rel + " is not in its manifest");
    }
  }
  for (const auto& [rel, expected] : m.files) {
    std::error_code ec;
    fs::create_directories(fs::path(to + "/" + rel).parent_path(), ec);
    if (ec) return Status::ioError("creating a folder in " + to + ": " + ec.message());
    if (!fs::exists(dir + "/" + rel, ec)) return damaged(dir, rel + " is missing");
    auto sum = copyFileSummed(dir + "/" + rel, to + "/" + rel, rel == "key" ? 0600 : 0644);
    if (!sum.isOk()) return sum.status();
    if (sum->bytes != expected.bytes || sum->sha256 != expected.sha256) {
      return damaged(dir, rel + " does not match its checksum in the manifest");
    }
  }
  return syncFolders(to);
}

// The copied home must be the manifest's: its key, and its heads. Then the
// hold is recorded, with the placement of the folder that will be the home's.
Status checkAndHold(const std::string& dir, const Manifest& m, const std::string& staged,
                    const Clock& clock) {
  HomePaths paths{staged};
  auto key = loadKey(paths.key());
  if (!key.isOk()) return damaged(dir, key.status().message());
  if ((*key)->publicKey() != m.node) return damaged(dir, "its key is not the manifest's node");
  auto config = loadConfig(paths.config());
  if (!config.isOk()) return damaged(dir, config.status().message());
  auto store = Store::open(paths.db(), networkId(config->network), Store::Mode::kExisting);
  if (!store.isOk()) return damaged(dir, store.status().message());
  auto heads = (*store)->heads();
  if (!heads.isOk()) return damaged(dir, heads.status().message());
  auto same = [](const auto& x, const auto& y) {
    return x.first == y.first && x.second.seq == y.second.seq && x.second.hash == y.second.hash;
  };
  if (!std::equal(heads->begin(), heads->end(), m.heads.begin(), m.heads.end(), same)) {
    return damaged(dir, "its database does not hold the manifest's heads");
  }
  auto placement = placementOf(paths.db());
  if (!placement.isOk()) return placement.status();
  std::string reason = "this home was restored from the backup " + dir + ", taken " + m.created +
                       "; its peers may hold entries this key signed after that";
  return (*store)->setAuthoringHold(AuthoringHold{clock(), reason}, *placement);
}

// Moves the staged home into `home`. When `home` did not exist the staged
// folder is renamed to it, whole. An existing empty `home` (a service's
// state folder, which its user may not replace) gets the staged entries one
// by one, the config last: until it is there, no node opens in `home`.
Status moveIntoPlace(Staging& staging, const std::string& home, bool inside) {
  if (!inside) {
    if (::rename(staging.path.c_str(), home.c_str()) != 0) {
      return Status::ioError("moving the restored home to " + home + ": " + std::strerror(errno));
    }
    staging.keep = true;
    return syncFolder(parentAndName(home).first);
  }
  for (const char* name : {"db", "intent", "key", "allmenning.toml"}) {
    std::string from = staging.path + "/" + name, to = home + "/" + name;
    std::error_code ec;
    if (!fs::exists(from, ec)) continue;
    if (::rename(from.c_str(), to.c_str()) != 0) {
      return Status::ioError("moving " + from + " to " + to + ": " + std::strerror(errno));
    }
  }
  return syncFolder(home);
}

}  // namespace

Result<BackupReport> restoreBackup(const std::string& dir, const std::string& home,
                                   const Clock& clock) {
  auto manifest = readManifest(dir);
  if (!manifest.isOk()) return manifest.status();
  ALM_RETURN_IF_ERROR(checkEmptyTarget(home, "restore a node"));
  std::error_code ec;
  bool inside = fs::exists(home, ec);
  auto [parent, name] = parentAndName(home);
  auto path =
      inside ? makeStaging(home, "restore", "partial") : makeStaging(parent, name, "partial");
  if (!path.isOk()) return path.status();
  Staging staging{*path};
  ALM_RETURN_IF_ERROR(copyChecked(dir, *manifest, staging.path));
  ALM_RETURN_IF_ERROR(checkAndHold(dir, *manifest, staging.path, clock));
  ALM_RETURN_IF_ERROR(moveIntoPlace(staging, home, inside));
  BackupReport report;
  report.node = manifest->node;
  report.files = manifest->files.size();
  for (const auto& [rel, sum] : manifest->files) report.bytes += sum.bytes;
  report.heads = manifest->heads;
  report.created = manifest->created;
  return report;
}

}  // namespace allmenning
