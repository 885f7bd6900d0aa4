// Helpers shared by tests: temporary folders and small valid records.
#pragma once

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <random>
#include <span>
#include <sstream>
#include <string>

#include "protocol/bytes.h"

namespace allmenning::testing {

// A fresh folder under the system temp dir, removed when the object dies.
class TempDir {
 public:
  TempDir() {
    std::random_device rd;
    path_ = std::filesystem::temp_directory_path() /
            ("allmenning-test-" + std::to_string(::getpid()) + "-" + std::to_string(rd()));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string path() const { return path_.string(); }
  std::string operator/(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

// A deterministic source of random bytes (same seed, same bytes), for
// anything that takes an injected RNG such as the handshake.
inline std::function<void(std::span<uint8_t>)> seededRandom(uint64_t seed) {
  auto rng = std::make_shared<std::mt19937_64>(seed);
  return [rng](std::span<uint8_t> out) {
    for (uint8_t& b : out) b = static_cast<uint8_t>((*rng)());
  };
}

// A valid case document with the given fields.
inline std::string caseJson(const std::string& id, const std::string& status = "completed",
                            const std::string& sector = "emergency",
                            const std::string& cpv = "90700000-4",
                            const std::string& kommune = "3433") {
  std::ostringstream j;
  j << R"({"id":")" << id << R"(","title":"Flomvarsling )" << id
    << R"(","buyers":[{"name":"Skjåk kommune","kommunenummer":")" << kommune
    << R"(","role":"lead"}],"procedure":"pre-commercial","cpv":[")" << cpv << R"("],"sector":")"
    << sector << R"(","status":")" << status << R"("})";
  return j.str();
}

inline std::string readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

inline void writeFile(const std::string& path, const std::string& data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << data;
}

// Damages a search index table (postlist.glass, ...) as a lost write or a
// failing disk would: zeroes the whole file, keeping its size. Every block
// then fails Xapian's own check (its revision is not the table's), so the
// damage is found at the first block read from disk. Bytes flipped here and
// there are not used: some such damage sends Xapian 1.4 into a B-tree walk
// that never ends (in Weight::Internal::accumulate_stats) instead of an
// error; docs/search.md says so.
inline void zeroIndexTable(const std::string& file) {
  std::string zeros(readFile(file).size(), '\0');
  std::ofstream(file, std::ios::binary | std::ios::in | std::ios::out)
      .write(zeros.data(), static_cast<std::streamsize>(zeros.size()));
}

// The seed of a randomised test: ALLMENNING_TEST_SEED when set (to replay a
// printed run), otherwise a fresh one.
inline unsigned testSeed() {
  if (const char* s = std::getenv("ALLMENNING_TEST_SEED"); s && *s) return std::stoul(s);
  return std::random_device{}();
}

}  // namespace allmenning::testing
