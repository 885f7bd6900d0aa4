#include "node/address.h"

#include <arpa/inet.h>

#include <algorithm>

#include "protocol/echo.h"

namespace allmenning {
namespace {

bool isDigit(char c) { return c >= '0' && c <= '9'; }

// Empty when `host` is a host name; else why it is not one.
std::string nameProblem(const std::string& host) {
  if (host.size() > 253) return "a host name has at most 253 bytes";
  size_t start = 0;
  for (;;) {
    size_t dot = host.find('.', start);
    std::string label = host.substr(start, dot == std::string::npos ? dot : dot - start);
    if (label.empty() || label.size() > 63) {
      return "each part of a host name between dots has 1 to 63 characters";
    }
    bool ok = std::all_of(label.begin(), label.end(), [](char c) {
      return isDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' || c == '_';
    });
    if (!ok || label.front() == '-' || label.back() == '-') {
      return "a host name has only letters, digits, '-' and '_' (no '-' at either end of a part)";
    }
    if (dot == std::string::npos) return "";
    start = dot + 1;
  }
}

// Empty when `host` (brackets removed) is a usable host; else why not.
std::string hostProblem(const std::string& host, bool bracketed) {
  if (bracketed) {
    in6_addr v6{};
    return inet_pton(AF_INET6, host.c_str(), &v6) == 1
               ? ""
               : "[" + cutForEcho(host) + "] is not an IPv6 address";
  }
  if (host.empty()) return "the host is missing";
  if (host.find(':') != std::string::npos) {
    return "an IPv6 address goes in brackets, as in [::1]:7400";
  }
  // Digits and dots only: meant as an IPv4 address, and a name resolver
  // would read it as one too.
  if (std::all_of(host.begin(), host.end(), [](char c) { return isDigit(c) || c == '.'; })) {
    in_addr v4{};
    return inet_pton(AF_INET, host.c_str(), &v4) == 1
               ? ""
               : cutForEcho(host) +
                     " is not an IPv4 address (four numbers 0..255, as in 192.0.2.10)";
  }
  return nameProblem(host);
}

}  // namespace

Result<HostPort> parseHostPort(const std::string& text, PortZero zero) {
  auto refuse = [&](const std::string& why) {
    return Status::invalid(quote(text) + " is not HOST:PORT: " + why);
  };
  size_t colon = text.rfind(':');
  if (colon == std::string::npos) return refuse("the :PORT is missing");
  std::string port = text.substr(colon + 1);
  bool digits = !port.empty() && port.size() <= 5 && std::all_of(port.begin(), port.end(), isDigit);
  int number = digits ? std::stoi(port) : -1;
  int lowest = zero == PortZero::kAllowed ? 0 : 1;
  if (number < lowest || number > 65535) {
    return refuse("the port must be a number " + std::to_string(lowest) + "..65535");
  }
  std::string host = text.substr(0, colon);
  bool bracketed = host.size() >= 2 && host.front() == '[' && host.back() == ']';
  if (bracketed) host = host.substr(1, host.size() - 2);
  if (std::string why = hostProblem(host, bracketed); !why.empty()) return refuse(why);
  return HostPort{host, static_cast<uint16_t>(number)};
}

}  // namespace allmenning
