// File helpers of backup and restore (node/backup.cpp): copies and checksums
// that stream, so no file's size decides an allocation.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "protocol/status.h"

namespace allmenning {

// The manifest of a backup (node/backup.h): its first field, and its name.
constexpr std::string_view kBackupFormat = "allmenning-backup 1";
constexpr const char* kManifestName = "manifest.json";

struct FileSum {
  std::string path;  // relative to the folder it was listed in
  uint64_t bytes = 0;
  std::string sha256;  // hex
};

// Copies the regular file `from` to the new file `to` (O_EXCL, `mode`),
// fsynced, and returns the sum of what was copied. Refuses a symbolic link.
Result<FileSum> copyFileSummed(const std::string& from, const std::string& to, unsigned mode);
// Every file under `root`, relative paths in sorted order; refuses anything
// that is not a regular file or a folder (a symbolic link, a socket).
Result<std::vector<std::string>> listFiles(const std::string& root);
// fsyncs every folder under `root`, and `root` itself.
Status syncFolders(const std::string& root);
// fsyncs the folder `dir` (not what is below it).
Status syncFolder(const std::string& dir);
// A new folder `<parent>/.<name>.<tag>-XXXXXX`, mode 0700.
Result<std::string> makeStaging(const std::string& parent, const std::string& name,
                                const std::string& tag);

// Removes a staging folder, and all in it, unless it was committed.
struct Staging {
  std::string path;
  bool keep = false;
  ~Staging();
};

// `dir` as a place to write a backup or a home into: absent, or an empty
// folder; refused otherwise, naming `what` would be written.
Status checkEmptyTarget(const std::string& dir, const std::string& what);
// The folder holding `dir`, and its last name ("a/b/" -> "a", "b").
std::pair<std::string, std::string> parentAndName(const std::string& dir);

}  // namespace allmenning
