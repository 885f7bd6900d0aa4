// Helpers of the crash tests: what a node must never do across crashes
// (heads going backwards, one seq with two entries, losing an acknowledged
// case), watched from outside through the CLI.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "protocol/status.h"
#include "tests/cli/federation.h"

namespace allmenning::testing {

// One entry of a log as `export --format jsonl` shows it.
struct LoggedEntry {
  uint64_t seq = 0;
  std::string hash;
  std::string caseId;  // the record id of a case entry, else empty
};

// The entries of `author` that `node` holds, from its export; nullopt when
// the export fails.
std::optional<std::vector<LoggedEntry>> logOf(const FedNode& node, const std::string& author);
inline std::optional<std::vector<LoggedEntry>> ownLog(const FedNode& node) {
  return logOf(node, node.key());
}

// Every head seen in `status --json`, per author: none may ever go back.
class HeadWatch {
 public:
  // Records the heads in `status`, failing the test for any below the
  // highest seen before (an author that vanished counts as seq 0).
  void check(const FedJson& status, const std::string& who);
  // The last seen head of `author`, 0 if never seen.
  uint64_t seqOf(const std::string& author) const;
  // Starts over for `author`, whose copy the test itself dropped.
  void forget(const std::string& author) { heads_.erase(author); }

 private:
  std::map<std::string, uint64_t> heads_;
};

// The entry hash at each seq of one author's log, over every observation:
// a seq whose hash changes was signed twice.
class OwnLogWatch {
 public:
  void record(const std::vector<LoggedEntry>& log, const std::string& where);
  std::set<std::string> caseIds() const { return caseIds_; }
  uint64_t size() const { return hashes_.size(); }

 private:
  std::map<uint64_t, std::string> hashes_;
  std::set<std::string> caseIds_;
};

// A thread publishing new cases at `node` with `case put`, one after
// another, keeping the ids the CLI acknowledged (exit 0 and the printed ref).
class CaseAuthor {
 public:
  CaseAuthor(const FedNode& node, std::string dir);
  ~CaseAuthor();
  void resume();
  // Returns once no put is in flight.
  void pause();
  void stop();
  // Fails the test for every acknowledged id missing from `present`.
  void checkPresent(const std::set<std::string>& present) const;
  std::set<std::string> acked() const;
  int attempts() const;

 private:
  void loop();

  const FedNode& node_;
  std::string dir_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool running_ = false, busy_ = false, quit_ = false;
  std::set<std::string> acked_;
  std::vector<std::string> wrongRefs_;
  int attempts_ = 0;
  std::thread thread_;
};

// Replaces the database of the stopped `node` with one holding only its own
// log, trust and peers, as if its copy of `author`'s log were lost, so the
// next start receives that log again. The search index is rebuilt at start.
// Returns the head of `author` it dropped.
Result<uint64_t> dropCopyOf(const FedNode& node, const std::string& author);

}  // namespace allmenning::testing
