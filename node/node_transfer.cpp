// Node: export as JSON lines. An exported line holds one signed entry exactly
// as stored, plus its decoded record for people reading the file.
#include <ostream>

#include "node/node.h"
#include "protocol/record_json.h"
#include "protocol/records.h"

namespace allmenning {
namespace {

Result<Json> recordJson(const Entry& e) {
  if (!e.payload) return Json(nullptr);
  switch (e.header.kind) {
    case Kind::kCase:
    case Kind::kNeed:
    case Kind::kExperience:
      return decodeRecord(e.header.kind, *e.payload);
    case Kind::kRetract: {
      auto r = decodeRetract(*e.payload);
      if (!r.isOk()) return r.status();
      return Json{{"caseId", r->caseId}, {"erase", r->erase}, {"target", kindName(r->target)}};
    }
    case Kind::kProfile: {
      auto p = decodeProfile(*e.payload);
      if (!p.isOk()) return p.status();
      return Json{{"name", p->name}, {"orgnr", p->orgnr}, {"kommunenummer", p->kommunenummer}};
    }
    default:
      return Json(nullptr);
  }
}

}  // namespace

Status Node::exportJsonl(const std::function<Status(std::string_view line)>& sink) {
  return store_->forEachEntry([&](Result<Entry> e) -> Status {
    if (!e.isOk()) return e.status();
    auto record = recordJson(*e);
    if (!record.isOk()) return record.status();
    Json line{{"author", toHex(e->header.author)},
              {"seq", e->header.seq},
              {"kind", kindName(e->header.kind)},
              {"entryHash", toHex(e->hash)},
              {"header", toBase64(e->headerBytes)},
              {"signature", toHex(e->signature)},
              {"payload", e->payload ? Json(toBase64(*e->payload)) : Json(nullptr)},
              {"record", std::move(*record)}};
    return sink(line.dump() + "\n");
  });
}

Status Node::exportJsonl(std::ostream& out) {
  Status st = exportJsonl([&](std::string_view line) {
    out << line;
    return out ? Status::ok() : Status::ioError("writing export");
  });
  out.flush();
  return st.isOk() && !out ? Status::ioError("writing export") : st;
}

}  // namespace allmenning
