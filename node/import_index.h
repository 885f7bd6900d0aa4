// The order in which `import` checks and applies the lines of a jsonl file.
//
// A file need not list an author's entries in seq order (an export written
// backwards, or several exports joined), but the chain rules can only be
// checked, and entries only applied, seq after seq. So import first indexes
// every line as (author, seq, line number, byte offset) and reads the lines
// back in that order. The index is sorted in runs of bounded size written to
// a scratch folder and merged, so its memory does not grow with the file.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "protocol/crypto.h"
#include "protocol/status.h"

namespace allmenning {

// One line of the file, as the index orders it: signed entries by author,
// seq and line number, then the bare records in line order.
struct IndexedLine {
  bool entry = false;   // false: a bare record
  PublicKey author{};   // entries only
  uint64_t seq = 0;     // entries only
  uint64_t line = 0;    // from 1
  uint64_t offset = 0;  // of the line's first byte in the file
};

class LineIndex {
 public:
  // Lines held in memory before a sorted run is written to `dir`. A test
  // sets it low to exercise the merge.
  static constexpr size_t kDefaultRunLines = size_t{1} << 17;  // 57 bytes each: 7.5 MiB

  // The scratch folder `dir` is removed (left over from an interrupted
  // import) and made anew when the first run is written, and removed when
  // the index is destroyed.
  explicit LineIndex(std::string dir, size_t runLines = kDefaultRunLines);
  ~LineIndex();
  LineIndex(const LineIndex&) = delete;
  LineIndex& operator=(const LineIndex&) = delete;

  Status add(const IndexedLine& line);
  // Sorts what was added. Call once, after the last add.
  Status finish();
  // Calls `fn` with every line in order; stops at the first non-ok status.
  // May be called again.
  Status forEach(const std::function<Status(const IndexedLine&)>& fn) const;

 private:
  using Record = std::array<uint8_t, 57>;
  Status spill();
  Status mergeRuns(size_t first, size_t count, const std::string& into) const;
  Status forEachIn(const std::vector<std::string>& runs,
                   const std::function<Status(const Record&)>& fn) const;

  std::string dir_;
  size_t runLines_;
  std::vector<Record> buffer_;
  std::vector<std::string> runs_;  // sorted run files, when the lines did not fit in memory
  size_t nextRun_ = 0;
};

}  // namespace allmenning
