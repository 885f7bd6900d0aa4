// Reading a jsonl import file (node_import*.cpp): every line parsed into a
// signed entry or a bare case record, read front to back or at an offset.
// Lines are read with a 1 MiB bound, so a huge line costs no memory.
#pragma once

#include <fstream>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "node/import_index.h"
#include "protocol/entry.h"
#include "protocol/status.h"
#include "storage/store.h"

namespace allmenning {

// One parsed line: either a signed entry or a case record to publish.
struct ImportItem {
  std::optional<Entry> entry;
  Bytes casePayload;
};

// The line's JSON as an entry (it has a "header") or a case record, the
// latter through the same gate as `case put`.
Result<ImportItem> parseImportLine(const std::string& line);

class ImportFile {
 public:
  // Refuses anything but a regular file: the file is read more than once.
  static Result<std::unique_ptr<ImportFile>> open(const std::string& path);

  const std::string& path() const { return path_; }
  // Calls `fn(lineNumber, offset, item-or-error)` for every line that is not
  // blank, front to back.
  Status forEachLine(const std::function<Status(uint64_t, uint64_t, Result<ImportItem>)>& fn);
  // The line that starts at `offset`, parsed.
  Result<ImportItem> lineAt(uint64_t offset);

 private:
  explicit ImportFile(std::string path) : path_(std::move(path)) {}
  // The next line into `line`; false at the end. An over-long line is
  // skipped and reported through `tooLong`.
  bool next(std::string& line, bool& tooLong);

  std::string path_;
  std::ifstream in_;
  std::vector<char> buf_;
};

// Pass 1 of an import (node_import.cpp): every line on its own (encoding,
// rules, signature, payload), then the entries author by author in seq
// order against the chain as the file would extend it, and the trust in
// their authors. Fills `index` with every line, in the order pass 2 applies
// them. A fork is not an invalid line: pass 2 stores its proof, as a fork
// from a peer is stored. Any invalid line refuses the whole file
// (Status::invalid naming the lines), and then nothing may be written.
Status checkImportFile(const Store& store, ImportFile& file, LineIndex& index);

}  // namespace allmenning
