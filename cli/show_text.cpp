// Peer text on a terminal, and an author's standing in words.
#include "cli/show_text.h"

#include <cstdio>

#include "protocol/text_rule.h"

namespace allmenning::cli {
namespace {

std::string escaped(char32_t c) {
  char buf[16];
  if (c > 0xFFFF) {
    std::snprintf(buf, sizeof buf, "\\U%08X", static_cast<unsigned>(c));
  } else {
    std::snprintf(buf, sizeof buf, "\\u%04X", static_cast<unsigned>(c));
  }
  return buf;
}

// `s` with hidden characters escaped; with `indent`, line breaks kept and
// indented (and tabs kept).
std::string render(std::string_view s, const std::string* indent) {
  std::string out;
  for (size_t i = 0; i < s.size();) {
    const size_t start = i;
    const char32_t c = rules::nextCodePoint(s, i);
    if (c == rules::kInvalidByte) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02X", static_cast<unsigned char>(s[start]));
      out += buf;
    } else if (indent && (c == '\n' || (c == '\r' && i < s.size() && s[i] == '\n'))) {
      if (c == '\r') ++i;
      out += '\n' + *indent;
    } else if (indent && c == '\t') {
      out += '\t';
    } else if (rules::isHiddenOnTerminal(c)) {
      out += escaped(c);
    } else {
      out.append(s.substr(start, i - start));
    }
  }
  return out;
}

std::string str(const Json& v) { return v.is_string() ? v.get<std::string>() : std::string(); }

// row[key], or null when `row` has no such key (const operator[] must not
// be asked for a missing one).
const Json& at(const Json& row, const char* key) {
  static const Json kNull;
  auto it = row.find(key);
  return it == row.end() ? kNull : *it;
}

// "Hub kommune", else the voucher's key's first 16 digits.
std::string voucherText(const Json& v) {
  return at(v, "name").is_string() ? shown(at(v, "name")) : str(at(v, "key")).substr(0, 16);
}

std::string vouchers(const Json& row, Detail detail) {
  std::string out;
  for (const auto& v : at(row, "vouchedBy")) {
    out += out.empty() ? "" : ", ";
    out += voucherText(v);
    if (detail == Detail::kFull) {
      out += " as \"" + shown(at(v, "as")) + "\"";
      if (v.contains("kommunenummer")) out += ", kommunenummer " + shown(at(v, "kommunenummer"));
      if (v.contains("orgnr")) out += ", orgnr " + shown(at(v, "orgnr"));
    }
  }
  return out;
}

}  // namespace

std::string nameText(const Json& row, const std::string& keyField) {
  return at(row, "authorName").is_string() ? shown(at(row, "authorName"))
                                           : str(at(row, keyField.c_str())).substr(0, 16);
}

std::string differsText(const Json& row) {
  if (!row.value("nameDiffers", false)) return "";
  return " [its profile says \"" + shown(at(row, "profileName")) + "\"]";
}

std::string vouchersText(const Json& row) { return vouchers(row, Detail::kShort); }

std::string shown(std::string_view s) { return render(s, nullptr); }

std::string shown(const Json& v) { return v.is_string() ? shown(str(v)) : v.dump(); }

std::string shownBlock(std::string_view s, size_t indent) {
  const std::string pad(indent, ' ');
  return render(s, &pad);
}

std::string trustText(const Json& row, Detail detail) {
  const std::string trust = str(at(row, "trust"));
  const bool full = detail == Detail::kFull;
  if (trust == "self") return full ? "this node's own key" : "this node";
  if (trust == "trusted") return full ? "trusted directly (trust add)" : "trusted";
  if (trust == "vouched") return (full ? "vouched for by " : "vouched by ") + vouchers(row, detail);
  if (trust == "frozen") {
    return full ? "frozen: it signed two different entries at one seq (see status)" : "frozen";
  }
  if (trust == "distrusted") {
    return full ? "distrusted (trust remove): its new entries are refused" : "distrusted";
  }
  return full ? "not trusted: its new entries are refused" : shown(trust);
}

std::string authorText(const Json& row, const std::string& keyField) {
  return nameText(row, keyField) + differsText(row);
}

std::string listedText(const Json& row, const std::string& keyField) {
  const bool vouched = str(at(row, "trust")) == "vouched";
  return nameText(row, keyField) + (vouched ? ", by " + vouchersText(row) : "") + differsText(row);
}

std::string whoText(const Json& row, const std::string& keyField) {
  return nameText(row, keyField) + " (" + trustText(row, Detail::kShort) + ")" + differsText(row);
}

}  // namespace allmenning::cli
