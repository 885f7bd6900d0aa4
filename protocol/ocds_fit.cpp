// Fitting a record mapped from OCDS to the case rules. Real OCDS data breaks
// our rules in small ways all the time (a title of 400 characters, a
// document type outside the code list, a CPV code without its digit), and
// one such field must not cost the whole release. The case rules are the one
// judge: the record is checked, the field the first refusal names is
// shortened or dropped, and the check runs again.
#include <algorithm>
#include <map>

#include "protocol/case_json.h"
#include "protocol/case_rules.h"
#include "protocol/ocds.h"
#include "protocol/text_rule.h"

namespace allmenning::ocds {
namespace {

// Each round fixes one field; a record has far fewer fields than this.
constexpr int kMaxRounds = 4000;

// One step of a field path: a key, or an index into a list.
struct Step {
  std::string key;
  size_t index = 0;
  bool isIndex = false;
};

// Parses the paths the case rules write ("buyers[0].orgnr", "title").
// Quoted keys never come from our mapping's keys, so they are not read.
std::optional<std::vector<Step>> parsePath(const std::string& path) {
  std::vector<Step> steps;
  size_t i = 0;
  while (i < path.size()) {
    if (path[i] == '[') {
      size_t close = path.find(']', i);
      if (close == std::string::npos || close == i + 1) return std::nullopt;
      Step s;
      s.isIndex = true;
      for (size_t k = i + 1; k < close; ++k) {
        if (path[k] < '0' || path[k] > '9' || s.index > 1000000) return std::nullopt;
        s.index = s.index * 10 + static_cast<size_t>(path[k] - '0');
      }
      steps.push_back(s);
      i = close + 1;
    } else {
      if (path[i] == '.') ++i;
      size_t end = path.find_first_of(".[", i);
      if (end == std::string::npos) end = path.size();
      if (end == i || path[i] == '"') return std::nullopt;
      steps.push_back({path.substr(i, end - i), 0, false});
      i = end;
    }
  }
  if (steps.empty()) return std::nullopt;
  return steps;
}

// The value at `steps`, or nullptr when the path does not lead to one.
Json* at(Json& root, const std::vector<Step>& steps, size_t count) {
  Json* v = &root;
  for (size_t i = 0; i < count; ++i) {
    const Step& s = steps[i];
    if (s.isIndex) {
      if (!v->is_array() || s.index >= v->size()) return nullptr;
      v = &(*v)[s.index];
    } else {
      if (!v->is_object() || !v->contains(s.key)) return nullptr;
      v = &(*v)[s.key];
    }
  }
  return v;
}

// The first `n` code points of valid UTF-8 `s`.
std::string firstCodePoints(const std::string& s, size_t n) {
  size_t i = 0;
  for (size_t count = 0; i < s.size() && count < n; ++count) {
    ++i;
    while (i < s.size() && (static_cast<uint8_t>(s[i]) & 0xC0) == 0x80) ++i;
  }
  return s.substr(0, i);
}

// `s` with each character the text rule forbids turned into a space. The
// field may be long text, where line breaks are allowed: they are kept
// unless nothing else was wrong.
std::string withoutForbidden(const std::string& s) {
  std::string out = rules::replaceForbidden(s, rules::TextForm::kMultiLine);
  return out != s ? out : rules::replaceForbidden(s, rules::TextForm::kLine);
}

// The number N in a rule that starts with `prefix` N, e.g. "must be at
// most 300 characters long (has 400)".
std::optional<size_t> limitIn(const std::string& rule, const std::string& prefix) {
  if (rule.compare(0, prefix.size(), prefix) != 0) return std::nullopt;
  size_t n = 0, i = prefix.size();
  if (i >= rule.size() || rule[i] < '0' || rule[i] > '9') return std::nullopt;
  for (; i < rule.size() && rule[i] >= '0' && rule[i] <= '9' && n < 1000000; ++i) {
    n = n * 10 + static_cast<size_t>(rule[i] - '0');
  }
  return n;
}

// " (had N)" from a rule that ends in "(has N)".
std::string had(const std::string& rule) {
  size_t at = rule.rfind("(has ");
  return at == std::string::npos ? std::string() : " (had " + rule.substr(at + 5);
}

// Drops list elements equal to an earlier one: fitting can make two
// parties the same (one lost a bad orgnr), and a repeat says nothing.
Json withoutRepeats(Json record) {
  for (auto& kv : record.items()) {
    Json& list = kv.value();
    if (!list.is_array()) continue;
    Json out = Json::array();
    for (Json& e : list) {
      if (std::find(out.begin(), out.end(), e) == out.end()) out.push_back(std::move(e));
    }
    list = std::move(out);
  }
  return record;
}

bool isRequired(const std::vector<Step>& steps) {
  if (steps.size() != 1) return false;
  const std::string& k = steps[0].key;
  return k == "id" || k == "title" || k == "procedure" || k == "status";
}

// Fixes the record one refusal at a time. Paths in notes count list
// elements as the mapped record had them, before any was dropped.
class Fitter {
 public:
  Fitter(Json record, std::vector<std::string>& notes)
      : record_(std::move(record)), notes_(notes) {}

  Result<Json> run() {
    for (int round = 0; round < kMaxRounds; ++round) {
      Status st = caseFromJsonValue(record_).status();
      if (st.isOk()) return withoutRepeats(std::move(record_));
      ALM_RETURN_IF_ERROR(fix(st));
    }
    return Status::invalid("too many fields break the case rules");
  }

 private:
  Status fix(const Status& refusal) {
    const std::string& m = refusal.message();
    const size_t colon = m.find(": ");
    auto steps = colon == std::string::npos ? std::nullopt : parsePath(m.substr(0, colon));
    if (!steps || steps->front().key == "input") return refusal;
    const std::string rule = m.substr(colon + 2);
    Json* v = at(record_, *steps, steps->size());
    if (auto n = limitIn(rule, "must be at most "); n && v && v->is_string()) {
      note(*steps, "shortened to " + std::to_string(*n) + " characters" + had(rule));
      *v = firstCodePoints(v->get<std::string>(), *n);
      return Status::ok();
    }
    if (auto n = limitIn(rule, "must have at most "); n && v && v->is_array()) {
      note(*steps, "kept the first " + std::to_string(*n) + had(rule));
      for (size_t i = v->size(); i > *n; --i) erase(*steps, i - 1);
      return Status::ok();
    }
    if (rule.compare(0, 17, "must not contain ") == 0 && v && v->is_string() &&
        withoutForbidden(v->get<std::string>()) != v->get<std::string>()) {
      note(*steps, "control characters replaced by spaces");
      *v = withoutForbidden(v->get<std::string>());
      return Status::ok();
    }
    std::string reason = translated(m);
    // A required sub-field is missing: the element it belongs to goes. When
    // this fitter dropped that field a moment ago, one note says both.
    if (rule == "is required" && steps->size() > 1) {
      const bool justDropped = pathOf(*steps, false) == lastDropped_;
      steps->pop_back();
      if (justDropped) {
        notes_.pop_back();
        reason = lastReason_;
      }
    }
    if (isRequired(*steps)) return refusal;
    if (!at(record_, *steps, steps->size())) return refusal;  // never loop on a bad path
    note(*steps, "dropped (" + reason + ")");
    lastDropped_ = pathOf(*steps, false);
    lastReason_ = reason;
    drop(*steps);
    return Status::ok();
  }

  // Removes the value at `steps`, and every list or object left empty by it.
  void drop(std::vector<Step> steps) {
    while (!steps.empty()) {
      Json* parent = at(record_, steps, steps.size() - 1);
      const Step& last = steps.back();
      if (last.isIndex) {
        erase(steps, last.index);
      } else {
        parent->erase(last.key);
      }
      steps.pop_back();
      if (steps.empty() || !at(record_, steps, steps.size())->empty()) return;
    }
  }

  // Erases element `index` of the list at `steps` (or at its parent, when
  // `steps` ends in an index) and keeps the original numbering.
  void erase(const std::vector<Step>& steps, size_t index) {
    std::vector<Step> list = steps;
    if (!list.empty() && list.back().isIndex) list.pop_back();
    Json* v = at(record_, list, list.size());
    auto& numbers = numbering(list, v->size());
    v->erase(index);
    numbers.erase(numbers.begin() + static_cast<std::ptrdiff_t>(index));
  }

  // The original index of each element now in the list at `list`.
  std::vector<size_t>& numbering(const std::vector<Step>& list, size_t size) {
    auto [it, fresh] = original_.try_emplace(pathOf(list, false));
    if (fresh) {
      for (size_t i = 0; i < size; ++i) it->second.push_back(i);
    }
    return it->second;
  }

  std::string pathOf(const std::vector<Step>& steps, bool originalIndexes) {
    std::string out;
    std::vector<Step> prefix;
    for (const Step& s : steps) {
      if (s.isIndex) {
        size_t i = s.index;
        auto it = original_.find(pathOf(prefix, false));
        if (originalIndexes && it != original_.end() && i < it->second.size()) i = it->second[i];
        out += "[" + std::to_string(i) + "]";
      } else {
        out += (out.empty() ? "" : ".") + s.key;
      }
      prefix.push_back(s);
    }
    return out;
  }

  // A refusal with its leading path in the original numbering.
  std::string translated(const std::string& message) {
    const size_t colon = message.find(": ");
    auto steps = parsePath(message.substr(0, colon));
    return steps ? pathOf(*steps, true) + message.substr(colon) : message;
  }

  void note(const std::vector<Step>& steps, const std::string& what) {
    notes_.push_back(pathOf(steps, true) + ": " + what);
  }

  Json record_;
  std::vector<std::string>& notes_;
  std::map<std::string, std::vector<size_t>> original_;  // list path -> original indexes
  std::string lastDropped_;  // the path dropped last, in current indexes
  std::string lastReason_;   // and the refusal that dropped it
};

}  // namespace

Result<Json> fitToCaseRules(Json record, std::vector<std::string>& notes) {
  return Fitter(std::move(record), notes).run();
}

}  // namespace allmenning::ocds
