// Backup and restore of a node's home (docs/operations.md, "Back up and
// restore").
//
// A backup is a folder:
//   manifest.json      what the backup holds: the node's key id, network,
//                      when it was taken, every author's head, and the size
//                      and SHA-256 of every other file
//   allmenning.toml    the config
//   key                the secret key, mode 0600
//   intent             the signing intent (node/intent.h), when there is one
//   db/                a RocksDB checkpoint of the database
// The search index is left out: it is derived, and rebuilt at open.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "node/node.h"

namespace allmenning {

struct BackupReport {
  PublicKey node{};
  uint64_t files = 0;  // besides the manifest
  uint64_t bytes = 0;
  std::vector<std::pair<PublicKey, Head>> heads;
  std::string created;  // ISO time
};

// Writes a backup of `node` to `dir`, which must not exist or be empty. The
// backup appears there whole or not at all. Writers are held off while the
// checkpoint and the intent are taken, so the two agree.
Result<BackupReport> writeBackup(Node& node, const std::string& dir);

// Restores the backup in `dir` into `home`, which must not exist or be an
// empty folder. Checks the manifest and every file against it first; a
// damaged backup is refused (invalid input) and nothing is written to `home`.
// The restored node holds authoring until a peer confirms its head.
Result<BackupReport> restoreBackup(const std::string& dir, const std::string& home,
                                   const Clock& clock);

}  // namespace allmenning
