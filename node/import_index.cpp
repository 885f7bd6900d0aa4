// LineIndex: an external merge sort of fixed-size records. A record's bytes
// sort as the lines should: kind (0 entry, 1 record), author, then seq and
// line number big-endian; the offset follows and takes no part.
#include "node/import_index.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <queue>

namespace allmenning {
namespace {

// Runs merged at once: one open file and one read buffer each.
constexpr size_t kFanIn = 64;
constexpr size_t kSortedBytes = 49;  // kind, author, seq, line

using File = std::unique_ptr<FILE, int (*)(FILE*)>;

void putBE(uint8_t* at, uint64_t v) {
  for (int i = 7; i >= 0; --i) at[7 - i] = static_cast<uint8_t>(v >> (8 * i));
}
uint64_t getBE(const uint8_t* at) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | at[i];
  return v;
}

bool less(const std::array<uint8_t, 57>& a, const std::array<uint8_t, 57>& b) {
  return std::memcmp(a.data(), b.data(), kSortedBytes) < 0;
}

File openFile(const std::string& path, const char* mode) {
  return File(std::fopen(path.c_str(), mode), &std::fclose);
}

}  // namespace

LineIndex::LineIndex(std::string dir, size_t runLines)
    : dir_(std::move(dir)), runLines_(std::max<size_t>(runLines, 1)) {
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);  // an interrupted import's runs
}

LineIndex::~LineIndex() {
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

Status LineIndex::add(const IndexedLine& l) {
  Record r{};
  r[0] = l.entry ? 0 : 1;
  std::copy(l.author.begin(), l.author.end(), r.begin() + 1);
  putBE(r.data() + 33, l.seq);
  putBE(r.data() + 41, l.line);
  putBE(r.data() + 49, l.offset);
  buffer_.push_back(r);
  return buffer_.size() >= runLines_ ? spill() : Status::ok();
}

Status LineIndex::spill() {
  std::sort(buffer_.begin(), buffer_.end(), less);
  std::error_code ec;
  if (runs_.empty()) std::filesystem::create_directories(dir_, ec);
  if (ec) return Status::ioError(dir_ + ": " + ec.message());
  std::string path = dir_ + "/run-" + std::to_string(nextRun_++);
  File f = openFile(path, "wb");
  if (!f) return Status::ioError(path + ": " + std::strerror(errno));
  for (const Record& r : buffer_) {
    if (std::fwrite(r.data(), r.size(), 1, f.get()) != 1) {
      return Status::ioError(path + ": " + std::strerror(errno));
    }
  }
  if (std::fclose(f.release()) != 0) return Status::ioError(path + ": " + std::strerror(errno));
  runs_.push_back(path);
  buffer_.clear();
  return Status::ok();
}

Status LineIndex::finish() {
  if (runs_.empty()) {
    std::sort(buffer_.begin(), buffer_.end(), less);
    return Status::ok();
  }
  if (!buffer_.empty()) ALM_RETURN_IF_ERROR(spill());
  // Merge in rounds until one merge can read every run at once.
  while (runs_.size() > kFanIn) {
    std::vector<std::string> merged;
    for (size_t first = 0; first < runs_.size(); first += kFanIn) {
      std::string into = dir_ + "/run-" + std::to_string(nextRun_++);
      ALM_RETURN_IF_ERROR(mergeRuns(first, std::min(kFanIn, runs_.size() - first), into));
      merged.push_back(into);
    }
    for (const auto& r : runs_) std::remove(r.c_str());
    runs_ = std::move(merged);
  }
  return Status::ok();
}

Status LineIndex::mergeRuns(size_t first, size_t count, const std::string& into) const {
  File out = openFile(into, "wb");
  if (!out) return Status::ioError(into + ": " + std::strerror(errno));
  std::vector<std::string> group(runs_.begin() + static_cast<std::ptrdiff_t>(first),
                                 runs_.begin() + static_cast<std::ptrdiff_t>(first + count));
  ALM_RETURN_IF_ERROR(forEachIn(group, [&](const Record& r) {
    return std::fwrite(r.data(), r.size(), 1, out.get()) == 1
               ? Status::ok()
               : Status::ioError(into + ": " + std::strerror(errno));
  }));
  if (std::fclose(out.release()) != 0) return Status::ioError(into + ": " + std::strerror(errno));
  return Status::ok();
}

Status LineIndex::forEachIn(const std::vector<std::string>& runs,
                            const std::function<Status(const Record&)>& fn) const {
  std::vector<File> files;
  using Head = std::pair<Record, size_t>;  // the next record of a run, and the run
  auto later = [](const Head& a, const Head& b) { return less(b.first, a.first); };
  std::priority_queue<Head, std::vector<Head>, decltype(later)> heads(later);
  auto next = [&](size_t i) -> Status {
    Record r;
    if (std::fread(r.data(), r.size(), 1, files[i].get()) == 1) {
      heads.emplace(r, i);
    } else if (std::ferror(files[i].get())) {
      return Status::ioError(runs[i] + ": read error");
    }
    return Status::ok();
  };
  for (size_t i = 0; i < runs.size(); ++i) {
    files.push_back(openFile(runs[i], "rb"));
    if (!files.back()) return Status::ioError(runs[i] + ": " + std::strerror(errno));
    ALM_RETURN_IF_ERROR(next(i));
  }
  while (!heads.empty()) {
    auto [r, i] = heads.top();
    heads.pop();
    ALM_RETURN_IF_ERROR(fn(r));
    ALM_RETURN_IF_ERROR(next(i));
  }
  return Status::ok();
}

Status LineIndex::forEach(const std::function<Status(const IndexedLine&)>& fn) const {
  auto decoded = [&](const Record& r) {
    IndexedLine l;
    l.entry = r[0] == 0;
    std::copy(r.begin() + 1, r.begin() + 33, l.author.begin());
    l.seq = getBE(r.data() + 33);
    l.line = getBE(r.data() + 41);
    l.offset = getBE(r.data() + 49);
    return fn(l);
  };
  if (runs_.empty()) {
    for (const Record& r : buffer_) ALM_RETURN_IF_ERROR(decoded(r));
    return Status::ok();
  }
  return forEachIn(runs_, decoded);
}

}  // namespace allmenning
