// The OCDS merge rules (standard 1.1, "Merging"): how the releases of one
// contracting process compile into one record. Later values replace earlier
// ones, a null removes a field, an array of objects that all carry an `id`
// merges element by element by that id, and any other array is replaced
// whole.
#include <map>

#include "protocol/ocds.h"

namespace allmenning::ocds {
namespace {

// Fields of a release that name the release itself, not the process: the
// compiled record keeps the first ocid and the latest date, as ocds-merge does.
bool namesTheRelease(const std::string& key) { return key == "id" || key == "tag"; }

bool isIdentifiedList(const Json& v) {
  if (!v.is_array() || v.empty()) return false;
  for (const Json& e : v) {
    if (!e.is_object()) return false;
    auto id = e.find("id");
    if (id == e.end() || !(id->is_string() || id->is_number_integer())) return false;
  }
  return true;
}

// The id as a map key; a number and its decimal string are the same id, as
// in ocds-merge.
std::string idKey(const Json& id) { return id.is_string() ? id.get<std::string>() : id.dump(); }

void mergeValue(Json& into, const Json& from, int depth);

void mergeList(Json& into, const Json& from, int depth) {
  std::map<std::string, size_t> at;
  for (size_t i = 0; i < into.size(); ++i) at.emplace(idKey(into[i]["id"]), i);
  for (const Json& e : from) {
    auto [it, fresh] = at.emplace(idKey(e["id"]), into.size());
    if (fresh) {
      into.push_back(Json::object());
      into.back()["id"] = e["id"];
    }
    mergeValue(into[it->second], e, depth + 1);
  }
}

void mergeObject(Json& into, const Json& from, int depth) {
  for (const auto& kv : from.items()) {
    if (kv.value().is_null()) {
      into.erase(kv.key());
    } else {
      // A new field merges into null, which drops the nulls inside it.
      mergeValue(into[kv.key()], kv.value(), depth + 1);
    }
  }
}

void mergeValue(Json& into, const Json& from, int depth) {
  // Deeper than any OCDS field: copied as it is (readPackage refuses
  // packages nested deeper than kMaxDepth, so this is bounded).
  if (depth > kMaxDepth) {
    into = from;
  } else if (from.is_object()) {
    if (!into.is_object()) into = Json::object();
    mergeObject(into, from, depth);
  } else if (isIdentifiedList(from) &&
             (into.is_null() || isIdentifiedList(into) || (into.is_array() && into.empty()))) {
    if (!into.is_array()) into = Json::array();
    mergeList(into, from, depth);
  } else {
    into = from;
  }
}

}  // namespace

void mergeRelease(Json& compiled, const Json& release) {
  if (!release.is_object()) return;
  if (!compiled.is_object()) compiled = Json::object();
  for (const auto& kv : release.items()) {
    if (namesTheRelease(kv.key())) continue;
    if (kv.key() == "ocid" && compiled.contains("ocid")) continue;
    if (kv.value().is_null()) {
      compiled.erase(kv.key());
      continue;
    }
    mergeValue(compiled[kv.key()], kv.value(), 1);
  }
}

}  // namespace allmenning::ocds
