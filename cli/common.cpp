#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <thread>

#include "cli/cli.h"
#include "cli/show_text.h"
#include "node/admin_socket.h"

namespace allmenning::cli {
namespace {

// True when another process holds the database's lock. RocksDB takes a
// POSIX write lock on db/LOCK for as long as it has the database open.
bool lockedElsewhere(const std::string& home) {
  int fd = ::open((home + "/db/LOCK").c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  struct flock lock {};
  lock.l_type = F_WRLCK;
  lock.l_whence = SEEK_SET;
  bool held = ::fcntl(fd, F_GETLK, &lock) == 0 && lock.l_type != F_UNLCK;
  ::close(fd);
  return held;
}

// Sends the command to the node running in g.home, if one answers on its
// admin socket, and relays its output as it arrives. nullopt: none answers.
std::optional<int> forwardToRunningNode(Globals& g) {
  auto client = AdminClient::connect(adminSocketPath(g.home));
  if (!client.isOk()) return std::nullopt;
  if (g.cwd.empty()) return fail(g, Status::ioError("cannot name the current folder"));
  AdminRequest request{g.argv, g.cwd, g.stdinData};
  auto code = (*client)->call(request, [&g](FrameType type, std::string_view data) {
    std::ostream& s = type == FrameType::kStdout ? g.out() : g.err();
    s.write(data.data(), static_cast<std::streamsize>(data.size()));
    s.flush();
  });
  if (!code.isOk()) return fail(g, code.status());
  return *code;
}

}  // namespace

// Only relative paths are recorded: an absolute one already reads as typed.
std::string Globals::path(const std::string& typed) {
  if (cwd.empty() || typed.empty() || typed == "-" || typed.front() == '/') return typed;
  std::string full = cwd + (cwd.back() == '/' ? "" : "/") + typed;
  resolved_.emplace_back(full, typed);
  return full;
}

void Globals::alias(std::string resolved, std::string typed) {
  resolved_.emplace_back(std::move(resolved), std::move(typed));
}

std::string Globals::asTyped(std::string message) const {
  for (const auto& [full, typed] : resolved_) {
    for (size_t at = message.find(full); at != std::string::npos;
         at = message.find(full, at + typed.size())) {
      message.replace(at, full.size(), typed);
    }
  }
  return message;
}

std::string outputError() {
  return std::string("writing to standard output: ") +
         (errno != 0 ? std::strerror(errno) : "the write failed");
}

void answer(Globals& g, Json value, TextForm text) {
  g.answerValue = std::move(value);
  g.answerText = text;
}

void printNow(Globals& g, const std::string& line) {
  if (!g.json) g.out() << line << std::endl;
}

void finish(Globals& g, const Status& status) {
  // With --json a failed command's answer goes into its error object.
  if (g.answerValue && (status.isOk() || !g.json)) {
    if (g.json) {
      printJson(g, *g.answerValue);
    } else if (g.answerText) {
      g.answerText(g, *g.answerValue);
    }
    g.answerValue.reset();
  }
  g.exitCode = status.isOk() ? 0 : fail(g, status);
}

// The text goes to stderr with --json too, for whoever watches a script run.
// A message may quote input or peer data: its controls are shown escaped,
// and its own line breaks (a list of bad lines) stay as they are. The JSON
// error carries the message as it is; JSON escapes it.
int fail(Globals& g, const Status& status) {
  std::string message = g.asTyped(status.message());
  g.err() << "allmenning: " << shownBlock(message, 0) << "\n";
  if (g.json) {
    Json error = Json::object();
    if (g.answerValue && g.answerValue->is_object()) error = *g.answerValue;
    if (g.answerValue && !g.answerValue->is_object()) error["answer"] = *g.answerValue;
    error["error"] = message;
    error["exit"] = status.exitCode();
    printJson(g, error);
  }
  g.answerValue.reset();
  return status.exitCode();
}

Result<std::unique_ptr<Node>> openNode(Globals& g, const std::function<bool()>& done,
                                       const Progress& progress) {
  constexpr auto kLockWait = std::chrono::seconds(5);
  constexpr auto kLockPoll = std::chrono::milliseconds(50);
  auto deadline = std::chrono::steady_clock::now() + kLockWait;
  Progress report =
      progress ? progress : Progress([&g](std::string_view line) { g.err() << line << "\n"; });
  for (;;) {
    auto node = Node::open(g.home, systemClock(), report);
    if (node.isOk() || !lockedElsewhere(g.home)) return node;
    if ((done && done()) || std::chrono::steady_clock::now() >= deadline) break;
    std::this_thread::sleep_for(kLockPoll);
  }
  return Status::refused("the database in " + g.home +
                         " is in use by another process, and no node answers on " +
                         adminSocketPath(g.home) + " (is a node starting or stopping?)");
}

// The order matters: a running node must win over a direct open, which would
// only fail on the database lock while the node runs.
void withNode(Globals& g, const std::function<Status(Node&)>& body) {
  if (g.node) {
    finish(g, body(*g.node));
    return;
  }
  // A node that is starting holds the lock before its socket answers.
  std::optional<int> forwarded = forwardToRunningNode(g);
  auto node = forwarded
                  ? Status::refused("forwarded")
                  : openNode(g, [&] { return (forwarded = forwardToRunningNode(g)).has_value(); });
  if (forwarded) {
    g.exitCode = *forwarded;
    return;
  }
  if (node.isOk()) {
    for (const std::string& w : (*node)->config().warnings)
      g.err() << "allmenning: warning: " << w << "\n";
  }
  finish(g, node.isOk() ? body(**node) : node.status());
}

// One byte over the limit is read on purpose: readInputFile then refuses the
// input with the same message on both sides of the socket.
void readStdin(Globals& g, size_t maxBytes) {
  if (g.stdinData) return;
  std::string data(maxBytes + 1, '\0');
  g.inStream->read(data.data(), static_cast<std::streamsize>(data.size()));
  data.resize(static_cast<size_t>(g.inStream->gcount()));
  g.stdinData = std::move(data);
}

Result<std::string> readInputFile(Globals& g, const std::string& typed, size_t maxBytes) {
  std::string data;
  if (typed == "-") {
    readStdin(g, maxBytes);
    data = *g.stdinData;
  } else {
    std::string path = g.path(typed);
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
      return Status::invalid(typed + ": " + std::strerror(errno));
    }
    if (!S_ISREG(st.st_mode)) return Status::invalid(typed + ": not a regular file");
    if (static_cast<size_t>(st.st_size) > maxBytes) {
      return Status::invalid(typed + ": " + std::to_string(st.st_size) +
                             " bytes exceeds the limit of " + std::to_string(maxBytes) + " bytes");
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) return Status::invalid(typed + ": cannot open for reading");
    data.assign(std::istreambuf_iterator<char>(in), {});
    if (in.bad()) return Status::ioError(typed + ": read error");
  }
  if (data.size() > maxBytes) {
    return Status::invalid(typed + ": input exceeds the limit of " + std::to_string(maxBytes) +
                           " bytes");
  }
  return data;
}

// Paths and names given on the command line need not be UTF-8; they are
// printed with replacement characters rather than failing.
void printJson(Globals& g, const Json& j) {
  g.out() << j.dump(2, ' ', false, Json::error_handler_t::replace) << "\n";
}

}  // namespace allmenning::cli
