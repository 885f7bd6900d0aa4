// Field predicates of the case format. Each is pure and allocation-free, and
// each checks shape only: they say whether a value is well-formed, never
// whether it exists (an orgnr passing MOD11 may still be unregistered).
#include "protocol/case_rules.h"

#include <algorithm>
#include <array>
#include <cstdint>

namespace allmenning::rules {
namespace {

// ASCII only, unlike std::isdigit, which follows the C locale.
bool isDigit(char c) { return c >= '0' && c <= '9'; }

// True when s[from, from+count) exists and holds only ASCII digits.
bool digitsAt(std::string_view s, size_t from, size_t count) {
  if (from + count > s.size()) return false;
  return std::all_of(s.begin() + from, s.begin() + from + count, isDigit);
}

int digitValue(std::string_view s, size_t from, size_t count) {
  int v = 0;
  for (size_t i = from; i < from + count; ++i) v = v * 10 + (s[i] - '0');
  return v;
}

// Gregorian rules, also for years before 1582: dates here are modern.
bool isLeapYear(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int daysInMonth(int year, int month) {
  static constexpr std::array<int, 12> kDays = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && isLeapYear(year) ? 29 : kDays[month - 1];
}

}  // namespace

// The allowed second-byte ranges follow Unicode table 3-7; they are what rule
// out overlong forms (C0, C1, E0 80..9F, F0 80..8F), surrogates (ED A0..BF)
// and code points above U+10FFFF (F4 90.., F5..FF).
size_t utf8SequenceLength(std::string_view s, size_t i) {
  auto byte = [&](size_t k) { return static_cast<uint8_t>(s[k]); };
  const uint8_t b0 = byte(i);
  if (b0 < 0x80) return 1;
  size_t len = 0;
  uint8_t lo = 0x80, hi = 0xBF;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    len = 2;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    len = 3;
    if (b0 == 0xE0) lo = 0xA0;
    if (b0 == 0xED) hi = 0x9F;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    len = 4;
    if (b0 == 0xF0) lo = 0x90;
    if (b0 == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (i + len > s.size()) return 0;
  if (byte(i + 1) < lo || byte(i + 1) > hi) return 0;
  for (size_t k = i + 2; k < i + len; ++k) {
    if ((byte(k) & 0xC0) != 0x80) return 0;
  }
  return len;
}

bool isValidOrgnr(std::string_view s) {
  if (s.size() != 9 || !digitsAt(s, 0, 9)) return false;
  static constexpr std::array<int, 8> kWeights = {3, 2, 7, 6, 5, 4, 3, 2};
  int sum = 0;
  for (size_t i = 0; i < kWeights.size(); ++i) sum += kWeights[i] * (s[i] - '0');
  int control = 11 - sum % 11;
  if (control == 11) control = 0;
  // A remainder of 1 gives control 10: no such number is ever issued.
  return control != 10 && control == s[8] - '0';
}

bool isValidKommunenummer(std::string_view s) { return s.size() == 4 && digitsAt(s, 0, 4); }

// The check digit may be missing: real data often lacks it, and it cannot be
// computed (the published digits do not follow the published algorithm).
bool isValidCpv(std::string_view s) {
  if (s.size() == 8) return digitsAt(s, 0, 8);
  return s.size() == 10 && digitsAt(s, 0, 8) && s[8] == '-' && isDigit(s[9]);
}

// Ids end up in storage keys and in <author>/<id> references, so the alphabet
// is kept to what needs no escaping anywhere: lowercase, digits, hyphen.
bool isValidId(std::string_view s) {
  if (s.empty() || s.size() > 80) return false;
  auto allowed = [](char c) { return (c >= 'a' && c <= 'z') || isDigit(c) || c == '-'; };
  return s[0] != '-' && std::all_of(s.begin(), s.end(), allowed);
}

bool isValidDate(std::string_view s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return false;
  if (!digitsAt(s, 0, 4) || !digitsAt(s, 5, 2) || !digitsAt(s, 8, 2)) return false;
  const int year = digitValue(s, 0, 4), month = digitValue(s, 5, 2), day = digitValue(s, 8, 2);
  // Year 0000 does not exist in the calendar users write dates in.
  if (year == 0 || month < 1 || month > 12) return false;
  return day >= 1 && day <= daysInMonth(year, month);
}

bool isValidDoffinId(std::string_view s) {
  return s.size() == 11 && digitsAt(s, 0, 4) && s[4] == '-' && digitsAt(s, 5, 6);
}

// Walks sequence by sequence; the first malformed one decides.
bool isValidUtf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    const size_t len = utf8SequenceLength(s, i);
    if (len == 0) return false;
    i += len;
  }
  return true;
}

size_t codePoints(std::string_view s) {
  // Every code point has exactly one byte that is not a continuation byte.
  return static_cast<size_t>(std::count_if(
      s.begin(), s.end(), [](char c) { return (static_cast<uint8_t>(c) & 0xC0) != 0x80; }));
}

}  // namespace allmenning::rules
