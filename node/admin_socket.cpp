#include "node/admin_socket.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <ostream>
#include <streambuf>
#include <thread>

namespace allmenning {
namespace {

using SteadyClock = std::chrono::steady_clock;

Status sysError(const std::string& what) {
  return Status::ioError(what + ": " + std::strerror(errno));
}

void closeFd(int fd) {
  if (fd >= 0) ::close(fd);
}

// A socket address for `path`. A path too long for sun_path is reached
// through its folder: /proc/self/fd/<dir>/<name>, with `dirFd` holding the
// folder open until the caller has bound or connected.
Status socketAddress(const std::string& path, sockaddr_un& addr, int& dirFd) {
  addr = sockaddr_un{};
  addr.sun_family = AF_UNIX;
  std::string target = path;
  if (path.size() >= sizeof addr.sun_path) {
    std::filesystem::path p(path);
    dirFd = ::open(p.parent_path().c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (dirFd < 0) return sysError(p.parent_path().string());
    target = "/proc/self/fd/" + std::to_string(dirFd) + "/" + p.filename().string();
  }
  if (target.size() >= sizeof addr.sun_path) return Status::invalid(path + ": name too long");
  std::memcpy(addr.sun_path, target.c_str(), target.size() + 1);
  return Status::ok();
}

// Binds and listens on `path` (in a folder only we can enter) and makes it 0600.
Result<int> bindPrivately(const std::string& path) {
  // Non-blocking, so an accept() after a client vanished cannot hang serve().
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return sysError("admin socket");
  sockaddr_un addr;
  int dirFd = -1;
  Status st = socketAddress(path, addr, dirFd);
  if (st.isOk() && ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    st = sysError("binding " + path);
  }
  closeFd(dirFd);
  if (st.isOk() && ::chmod(path.c_str(), 0600) != 0) st = sysError("chmod " + path);
  if (st.isOk() && ::listen(fd, 16) != 0) st = sysError("listening on " + path);
  if (!st.isOk()) {
    closeFd(fd);
    return st;
  }
  return fd;
}

}  // namespace

std::string adminSocketPath(const std::string& home) { return home + "/admin.sock"; }

// ---- One connection: reads and writes against a deadline -------------------

// The server's side of one client. Waiting for the request also watches the
// wake pipe, so stop() cuts it short. A client that stops reading is dropped
// after the timeout, and the rest of the command's output is discarded.
class AdminServer::Connection {
 public:
  Connection(int fd, int wakeFd, std::chrono::milliseconds timeout)
      : fd_(fd), wakeFd_(wakeFd), timeout_(timeout) {}

  // Appends exactly `n` bytes to `out`, in pieces, so memory grows only as
  // bytes actually arrive.
  Status read(size_t n, std::string& out, SteadyClock::time_point deadline) {
    char buf[64 * 1024];
    while (n > 0) {
      ALM_RETURN_IF_ERROR(wait(POLLIN, deadline, true));
      ssize_t got = ::recv(fd_, buf, std::min(n, sizeof buf), 0);
      if (got < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      if (got < 0) return sysError("reading the request");
      if (got == 0) {
        return received_ == 0 ? Status::notFound("the client closed without a request")
                              : Status::invalid("the client closed the connection mid-request");
      }
      out.append(buf, static_cast<size_t>(got));
      n -= static_cast<size_t>(got);
      received_ += static_cast<size_t>(got);
    }
    return Status::ok();
  }

  // True once the client has closed its end: it will read no reply.
  bool gone() {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, 0) <= 0) return false;
    char byte;
    return ::recv(fd_, &byte, 1, MSG_PEEK | MSG_DONTWAIT) == 0;
  }

  void write(std::string_view data) {
    while (!broken_ && !data.empty()) {
      if (!wait(POLLOUT, SteadyClock::now() + timeout_, false).isOk()) {
        broken_ = true;
        break;
      }
      ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      if (n <= 0) broken_ = true;
      if (n > 0) data.remove_prefix(static_cast<size_t>(n));
    }
  }

 private:
  Status wait(short events, SteadyClock::time_point deadline, bool wake) {
    for (;;) {
      auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now());
      if (left.count() <= 0) return Status::invalid("timed out");
      pollfd fds[2] = {{fd_, events, 0}, {wake ? wakeFd_ : -1, POLLIN, 0}};
      int ready = ::poll(fds, 2, static_cast<int>(left.count()));
      if (ready < 0 && errno == EINTR) continue;
      if (ready < 0) return sysError("poll");
      if (fds[1].revents != 0) return Status::refused("the node is stopping");
      if (fds[0].revents != 0) return Status::ok();
    }
  }

  int fd_;
  int wakeFd_;
  std::chrono::milliseconds timeout_;
  size_t received_ = 0;
  bool broken_ = false;
};

namespace {

// A stream buffer that sends what is written as reply frames of one type:
// when the buffer fills, and on every flush (std::endl, or unitbuf streams).
class FrameBuf : public std::streambuf {
 public:
  FrameBuf(FrameType type, std::function<void(std::string_view)> send)
      : type_(type), send_(std::move(send)) {
    setp(buf_, buf_ + sizeof buf_);
  }

 protected:
  int_type overflow(int_type ch) override {
    flushFrame();
    if (!traits_type::eq_int_type(ch, traits_type::eof())) {
      *pptr() = traits_type::to_char_type(ch);
      pbump(1);
    }
    return traits_type::not_eof(ch);
  }
  int sync() override {
    flushFrame();
    return 0;
  }

 private:
  void flushFrame() {
    size_t n = static_cast<size_t>(pptr() - pbase());
    if (n > 0) send_(encodeFrame(type_, std::string_view(pbase(), n)));
    setp(buf_, buf_ + sizeof buf_);
  }

  FrameType type_;
  std::function<void(std::string_view)> send_;
  char buf_[16 * 1024];  // under kMaxFrameBytes
};

}  // namespace

// ---- Server --------------------------------------------------------------------

Result<std::unique_ptr<AdminServer>> AdminServer::listen(const std::string& path,
                                                         AdminHandler handler,
                                                         AdminServerOptions options) {
  std::filesystem::path target(path);
  std::string tmpl = (target.parent_path() / ".admin-XXXXXX").string();
  if (::mkdtemp(tmpl.data()) == nullptr) return sysError("creating a folder beside " + path);
  std::string staged = tmpl + "/" + target.filename().string();
  auto fd = bindPrivately(staged);
  struct stat st {};
  Status status = fd.isOk() ? Status::ok() : fd.status();
  if (status.isOk() && ::stat(staged.c_str(), &st) != 0) status = sysError("stat " + staged);
  if (status.isOk() && ::rename(staged.c_str(), path.c_str()) != 0) {
    status = sysError("moving the admin socket to " + path);
  }
  ::unlink(staged.c_str());  // only when the rename failed
  ::rmdir(tmpl.c_str());
  int wake[2] = {-1, -1};
  if (status.isOk() && ::pipe2(wake, O_CLOEXEC | O_NONBLOCK) != 0) status = sysError("pipe");
  if (!status.isOk()) {
    if (fd.isOk()) closeFd(*fd);
    return status;
  }
  return std::unique_ptr<AdminServer>(new AdminServer(
      path, *fd, wake[0], wake[1], st.st_dev, st.st_ino, std::move(handler), std::move(options)));
}

AdminServer::AdminServer(std::string path, int listenFd, int wakeRead, int wakeWrite, dev_t dev,
                         ino_t ino, AdminHandler handler, AdminServerOptions options)
    : path_(std::move(path)),
      listenFd_(listenFd),
      wakeRead_(wakeRead),
      wakeWrite_(wakeWrite),
      dev_(dev),
      ino_(ino),
      handler_(std::move(handler)),
      options_(std::move(options)) {}

AdminServer::~AdminServer() {
  closeFd(listenFd_);
  closeFd(wakeRead_);
  closeFd(wakeWrite_);
  struct stat st {};
  if (::lstat(path_.c_str(), &st) == 0 && st.st_dev == dev_ && st.st_ino == ino_) {
    ::unlink(path_.c_str());
  }
}

void AdminServer::stop() {
  stopping_ = true;
  char byte = 1;
  // A full pipe already holds a wake-up; nothing more to do then.
  (void)!::write(wakeWrite_, &byte, 1);
}

void AdminServer::serve() {
  while (!stopping_) {
    pollfd fds[2] = {{listenFd_, POLLIN, 0}, {wakeRead_, POLLIN, 0}};
    int ready = ::poll(fds, 2, -1);
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0) {
      log("admin event=poll_failed error=\"" + std::string(std::strerror(errno)) + "\"");
      break;
    }
    if (fds[1].revents != 0 || stopping_) break;
    int fd = ::accept4(listenFd_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0) continue;  // the client gave up before we accepted, or out of fds
    startConnection(fd);
  }
  // The connection threads use this server: it must outlive them.
  std::unique_lock lock(mu_);
  idle_.wait(lock, [this] { return active_ == 0; });
}

void AdminServer::startConnection(int fd) {
  {
    std::lock_guard lock(mu_);
    if (active_ < options_.maxClients) {
      ++active_;
      // Detached: serve() waits for active_ to come back to 0 before it
      // returns, and the thread touches nothing of the server after that.
      std::thread([this, fd] {
        handle(fd);
        ::close(fd);
        std::lock_guard done(mu_);
        --active_;
        idle_.notify_all();
      }).detach();
      return;
    }
  }
  log("admin event=busy clients=" + std::to_string(options_.maxClients));
  constexpr auto kBusyWait = std::chrono::milliseconds(100);
  Connection conn(fd, wakeRead_, kBusyWait);
  // Read what the client sends first, so closing with its request unread
  // does not reset the connection before it reads the answer.
  (void)readRequest(conn, SteadyClock::now() + kBusyWait);
  conn.write(encodeFrame(FrameType::kStderr, "allmenning: the running node is serving " +
                                                 std::to_string(options_.maxClients) +
                                                 " admin connections already; try again\n"));
  conn.write(encodeExitFrame(1));
  ::close(fd);
}

namespace {

// A command line as a user would type it, cut to a readable length.
std::string commandText(const std::vector<std::string>& argv) {
  constexpr size_t kMaxBytes = 80;
  std::string out;
  for (const auto& a : argv) out += (out.empty() ? "" : " ") + a;
  return out.size() > kMaxBytes ? out.substr(0, kMaxBytes) + "..." : out;
}

}  // namespace

Result<std::unique_lock<std::timed_mutex>> AdminServer::awaitTurn(
    Connection& conn, const std::vector<std::string>& argv) {
  // A command that is about to end does not make the next one say it waits.
  constexpr auto kQuietWait = std::chrono::milliseconds(200);
  std::unique_lock turn(turn_, kQuietWait);
  if (!turn) {
    std::string other;
    {
      std::lock_guard lock(mu_);
      other = running_;
    }
    conn.write(encodeFrame(
        FrameType::kStderr,
        "allmenning: waiting for the running node to finish another command (" + other + ")\n"));
    while (!turn.try_lock_for(std::chrono::milliseconds(100))) {
      if (stopping_) return Status::refused("the node is stopping");
      if (conn.gone()) return Status::notFound("the client left while it waited");
    }
  }
  std::lock_guard lock(mu_);
  running_ = commandText(argv);
  return turn;
}

Result<AdminRequest> AdminServer::readRequest(Connection& conn, SteadyClock::time_point deadline) {
  std::string header;
  ALM_RETURN_IF_ERROR(conn.read(kRequestHeaderBytes, header, deadline));
  auto length = decodeRequestHeader(header, options_.limits);
  if (!length.isOk()) return length.status();
  std::string body;
  ALM_RETURN_IF_ERROR(conn.read(*length, body, deadline));
  return decodeRequestBody(body, options_.limits);
}

// A malformed request gets its reason on stderr and exit 2, like bad input
// on the command line (a stop or an I/O error while reading it, exit 1);
// the server then goes on with the next client.
void AdminServer::handle(int fd) {
  Connection conn(fd, wakeRead_, options_.timeout);
  auto request = readRequest(conn, SteadyClock::now() + options_.timeout);
  // A connection closed before its first byte is a probe: `run` checking
  // whether a node answers, or a client that gave up. Nothing to say.
  if (request.status().code() == Status::Code::kNotFound) return;
  if (!request.isOk()) {
    const Status& why = request.status();
    log("admin event=bad_request reason=\"" + why.message() + "\"");
    conn.write(
        encodeFrame(FrameType::kStderr, "allmenning: admin socket: " + why.message() + "\n"));
    conn.write(encodeExitFrame(why.exitCode()));
    return;
  }
  FrameBuf outBuf(FrameType::kStdout, [&](std::string_view f) { conn.write(f); });
  // What was printed before a message on stderr goes out before it, so the
  // client sees the order a terminal would.
  FrameBuf errBuf(FrameType::kStderr, [&](std::string_view f) {
    outBuf.pubsync();
    conn.write(f);
  });
  std::ostream out(&outBuf);
  std::ostream err(&errBuf);
  err.setf(std::ios::unitbuf);  // like std::cerr: progress lines arrive as written
  auto turn = awaitTurn(conn, request->argv);
  if (turn.status().code() == Status::Code::kNotFound) return;  // nobody to tell
  if (!turn.isOk()) {
    err << "allmenning: " << turn.status().message() << "\n";
    conn.write(encodeExitFrame(1));
    return;
  }
  int code = 1;
  // The handler reports failures as exit codes; anything thrown is a bug,
  // and it must not take the node down.
  try {
    code = handler_(*request, out, err);
  } catch (const std::exception& e) {
    err << "allmenning: internal error: " << e.what() << "\n";
  } catch (...) {
    err << "allmenning: internal error\n";
  }
  out.flush();
  err.flush();
  turn->unlock();  // before the client learns the command ended
  conn.write(encodeExitFrame(code));
}

void AdminServer::log(const std::string& line) const {
  if (options_.log) options_.log(line);
}

// ---- Client --------------------------------------------------------------------

Result<std::unique_ptr<AdminClient>> AdminClient::connect(const std::string& path) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return sysError("admin socket");
  sockaddr_un addr;
  int dirFd = -1;
  Status st = socketAddress(path, addr, dirFd);
  if (st.isOk() && ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    bool nobody = errno == ENOENT || errno == ECONNREFUSED;
    st =
        nobody ? Status::notFound("no node answers on " + path) : sysError("connecting to " + path);
  }
  closeFd(dirFd);
  if (!st.isOk()) {
    closeFd(fd);
    return st;
  }
  return std::unique_ptr<AdminClient>(new AdminClient(fd));
}

AdminClient::~AdminClient() { closeFd(fd_); }

namespace {

Status sendAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return sysError("sending to the running node");
    data.remove_prefix(static_cast<size_t>(n));
  }
  return Status::ok();
}

// False at end of file before `n` bytes.
Result<bool> recvExactly(int fd, size_t n, std::string& out) {
  out.resize(n);
  size_t got = 0;
  while (got < n) {
    ssize_t r = ::recv(fd, out.data() + got, n - got, 0);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return sysError("reading from the running node");
    if (r == 0) return false;
    got += static_cast<size_t>(r);
  }
  return true;
}

}  // namespace

Result<int> AdminClient::call(const AdminRequest& request,
                              const std::function<void(FrameType, std::string_view)>& output) {
  ALM_RETURN_IF_ERROR(sendAll(fd_, encodeRequest(request)));
  const Status closed =
      Status::ioError("the running node closed the admin connection before the command finished");
  std::string header, data;
  for (;;) {
    auto more = recvExactly(fd_, kFrameHeaderBytes, header);
    if (!more.isOk()) return more.status();
    if (!*more) return closed;
    auto frame = decodeFrameHeader(header);
    if (!frame.isOk()) return frame.status().withContext("reply from the running node");
    more = recvExactly(fd_, frame->length, data);
    if (!more.isOk()) return more.status();
    if (!*more) return closed;
    if (frame->type == FrameType::kExit) return decodeExitCode(data);
    output(frame->type, data);
  }
}

}  // namespace allmenning
