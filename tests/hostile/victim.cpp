#include "tests/hostile/victim.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>

#include "tests/test_util.h"

namespace allmenning::testing {

namespace fs = std::filesystem;

pid_t pidOfRun(const std::string& home) {
  std::error_code ec;
  for (const auto& dir : fs::directory_iterator("/proc", ec)) {
    std::string name = dir.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream in(dir.path() / "cmdline", std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    // argv is NUL-separated: <binary> --home <home> run
    std::string want = std::string("--home") + '\0' + home + '\0' + "run" + '\0';
    if (s.str().find(want) != std::string::npos) return static_cast<pid_t>(std::stol(name));
  }
  return -1;
}

uint64_t rssKiB(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoull(line.substr(6));
  }
  return 0;
}

uint64_t cpuMs(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // Fields after the command name (in parentheses, which may hold spaces):
  // state is field 3, utime 14 and stime 15.
  size_t close = stat.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream rest(stat.substr(close + 2));
  std::string field;
  uint64_t utime = 0, stime = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i) {
    if (i == 14) utime = std::stoull(field);
    if (i == 15) stime = std::stoull(field);
  }
  long hz = ::sysconf(_SC_CLK_TCK);
  return hz > 0 ? (utime + stime) * 1000 / static_cast<uint64_t>(hz) : 0;
}

size_t fdCount(pid_t pid) {
  std::error_code ec;
  size_t n = 0;
  for (auto it = fs::directory_iterator("/proc/" + std::to_string(pid) + "/fd", ec);
       !ec && it != fs::directory_iterator(); it.increment(ec)) {
    // Sockets only: the search index opens its table files when it first
    // needs them, which is no connection left open.
    std::error_code linkError;
    n += fs::read_symlink(it->path(), linkError).string().starts_with("socket:");
  }
  return n;
}

// ---- RssSampler --------------------------------------------------------------

RssSampler::RssSampler(pid_t pid) : pid_(pid) {
  markBaseline();
  thread_ = std::thread([this] { run(); });
}

RssSampler::~RssSampler() { stop(); }

void RssSampler::markBaseline() {
  baseline_ = rssKiB(pid_);
  max_ = baseline_.load();
}

void RssSampler::stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

void RssSampler::run() {
  while (!stop_) {
    uint64_t now = rssKiB(pid_);
    if (now > max_) max_ = now;
    ++samples_;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

// ---- HonestLoad --------------------------------------------------------------

HonestLoad::HonestLoad(FedNode& author, const FedNode& watcher, std::string dir,
                       std::chrono::milliseconds period)
    : author_(author), watcher_(watcher), dir_(std::move(dir)), period_(period) {
  thread_ = std::thread([this] { run(); });
}

HonestLoad::~HonestLoad() { stop(); }

void HonestLoad::stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

std::vector<HonestLoad::Sample> HonestLoad::samples() const {
  std::lock_guard<std::mutex> lock(mu_);
  return samples_;
}

void HonestLoad::run() {
  for (size_t n = 0; !stop_; ++n) {
    auto next = std::chrono::steady_clock::now() + period_;
    std::string file = dir_ + "/honest-" + std::to_string(n) + ".json";
    writeFile(file, caseJson("honest-" + std::to_string(n)));
    if (author_.cli({"case", "put", file}).exitCode == 0) {
      ++puts_;
    } else {
      ++failures_;
    }
    uint64_t seq = watcher_.seqOf(author_.key());
    {
      std::lock_guard<std::mutex> lock(mu_);
      samples_.push_back({std::chrono::steady_clock::now(), seq});
    }
    std::this_thread::sleep_until(next);
  }
}

}  // namespace allmenning::testing
