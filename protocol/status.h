// Status and Result: expected failures as values.
//
// Every fallible operation on untrusted input (files, peers, the admin socket)
// or on the disk returns a Status or a Result<T>. Exceptions and asserts are
// reserved for programming errors.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace allmenning {

class Status {
 public:
  enum class Code {
    kOk,
    kNotFound,      // the thing asked for does not exist (exit 1)
    kInvalidInput,  // the caller's input is wrong (exit 2)
    kCorruption,    // stored or received data fails a check (exit 1)
    kIOError,       // the operating system or RocksDB failed (exit 1)
    kRefused,       // a valid request that the current state forbids (exit 1)
  };

  Status() = default;
  static Status ok() { return Status(); }
  static Status notFound(std::string m) { return Status(Code::kNotFound, std::move(m)); }
  static Status invalid(std::string m) { return Status(Code::kInvalidInput, std::move(m)); }
  static Status corruption(std::string m) { return Status(Code::kCorruption, std::move(m)); }
  static Status ioError(std::string m) { return Status(Code::kIOError, std::move(m)); }
  static Status refused(std::string m) { return Status(Code::kRefused, std::move(m)); }

  bool isOk() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }

  // Returns a copy whose message is "prefix: message".
  Status withContext(const std::string& prefix) const {
    return isOk() ? *this : Status(code_, prefix + ": " + message_);
  }

  // The CLI exit status for this outcome: 0 ok, 2 bad input, 1 anything else.
  int exitCode() const {
    if (isOk()) return 0;
    return code_ == Code::kInvalidInput ? 2 : 1;
  }

 private:
  Status(Code c, std::string m) : code_(c), message_(std::move(m)) {}
  Code code_ = Code::kOk;
  std::string message_;
};

// Either a value or a non-ok Status.
template <typename T>
class Result {
 public:
  Result(T value) : v_(std::move(value)) {}         // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {}  // NOLINT: implicit by design

  bool isOk() const { return std::holds_alternative<T>(v_); }
  // Precondition: isOk().
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() { return value(); }
  // The error, or Status::ok() when a value is held.
  Status status() const { return isOk() ? Status::ok() : std::get<Status>(v_); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace allmenning

// Returns early from the enclosing function when `expr` yields a non-ok Status.
#define ALM_RETURN_IF_ERROR(expr)      \
  do {                                 \
    ::allmenning::Status _st = (expr); \
    if (!_st.isOk()) return _st;       \
  } while (0)
