#include "protocol/records.h"

#include <algorithm>

#include "protocol/capnp_util.h"
#include "protocol/case_rules.h"
#include "protocol/echo.h"
#include "protocol/record_json.h"
#include "protocol/schema/allmenning.capnp.h"
#include "protocol/text_rule.h"

namespace allmenning {
namespace {

std::string text(capnp::Text::Reader t) { return std::string(t.cStr(), t.size()); }

}  // namespace

Bytes encodeRetract(const RetractRecord& r) {
  capnp::MallocMessageBuilder message;
  auto b = message.initRoot<schema::Retract>();
  b.setCaseId(r.caseId);
  b.setErase(r.erase);
  b.setTarget(static_cast<schema::Kind>(r.target));
  return canonicalBytes(b.asReader());
}

Result<RetractRecord> decodeRetract(ByteView payload) {
  auto r = decodeCanonical<schema::Retract>(payload, kMaxPayloadBytes, "retract", [](auto root) {
    return std::pair(static_cast<uint16_t>(root.getTarget()),
                     RetractRecord{text(root.getCaseId()), root.getErase()});
  });
  if (!r.isOk()) return r.status();
  auto& [target, record] = *r;
  // An enum read from bytes may hold any 16-bit value: check before the cast.
  if (target > static_cast<uint16_t>(Kind::kProfile) || !isRecordKind(static_cast<Kind>(target))) {
    return Status::corruption("retract: target kind " + std::to_string(target) +
                              " is not a case, need or experience");
  }
  record.target = static_cast<Kind>(target);
  if (!rules::isValidId(record.caseId)) {
    return Status::corruption("retract: caseId " + quote(record.caseId) + " is not a valid id");
  }
  ALM_RETURN_IF_ERROR(requireSameEncoding(payload, encodeRetract(record), "retract"));
  return record;
}

Status checkProfile(const ProfileRecord& p) {
  if (p.name.empty() || !rules::isValidUtf8(p.name) || rules::codePoints(p.name) > 300) {
    return Status::invalid("name: must be 1..300 characters of UTF-8 text");
  }
  // A name is printed on every node's terminal: the text rule of every record.
  if (auto c = rules::forbiddenCharacter(p.name, rules::TextForm::kLine)) {
    return Status::invalid("name: must not contain " + rules::describeCodePoint(*c));
  }
  if (!p.orgnr.empty() && !rules::isValidOrgnr(p.orgnr)) {
    return Status::invalid("orgnr: " + quote(p.orgnr) + " is not 9 digits passing the MOD11 check");
  }
  if (!p.kommunenummer.empty() && !rules::isValidKommunenummer(p.kommunenummer)) {
    return Status::invalid("kommunenummer: " + quote(p.kommunenummer) + " is not 4 digits");
  }
  return Status::ok();
}

Bytes encodeProfile(const ProfileRecord& p) {
  capnp::MallocMessageBuilder message;
  auto b = message.initRoot<schema::Profile>();
  b.setName(p.name);
  if (!p.orgnr.empty()) b.setOrgnr(p.orgnr);
  if (!p.kommunenummer.empty()) b.setKommunenummer(p.kommunenummer);
  return canonicalBytes(b.asReader());
}

Result<ProfileRecord> decodeProfile(ByteView payload) {
  auto p = decodeCanonical<schema::Profile>(payload, kMaxPayloadBytes, "profile", [](auto root) {
    return ProfileRecord{text(root.getName()), text(root.getOrgnr()),
                         text(root.getKommunenummer())};
  });
  if (!p.isOk()) return p.status();
  Status st = checkProfile(*p);
  if (!st.isOk()) return Status::corruption("profile: " + st.message());
  ALM_RETURN_IF_ERROR(requireSameEncoding(payload, encodeProfile(*p), "profile"));
  return p;
}

Status checkVouch(const VouchRecord& v) {
  ALM_RETURN_IF_ERROR(checkProfile(ProfileRecord{v.name, v.orgnr, v.kommunenummer}));
  if (v.orgnr.empty() && v.kommunenummer.empty()) {
    return Status::invalid("a vouch names the body's orgnr or kommunenummer (or both)");
  }
  if (v.key == PublicKey{}) return Status::invalid("key: the all-zero key belongs to no body");
  return Status::ok();
}

Bytes encodeVouch(const VouchRecord& v) {
  capnp::MallocMessageBuilder message;
  auto b = message.initRoot<schema::Vouch>();
  b.setKey(capnp::Data::Reader(v.key.data(), v.key.size()));
  b.setName(v.name);
  if (!v.orgnr.empty()) b.setOrgnr(v.orgnr);
  if (!v.kommunenummer.empty()) b.setKommunenummer(v.kommunenummer);
  return canonicalBytes(b.asReader());
}

Result<VouchRecord> decodeVouch(ByteView payload) {
  auto v = decodeCanonical<schema::Vouch>(payload, kMaxPayloadBytes, "vouch", [](auto root) {
    auto key = root.getKey();
    return std::pair(
        Bytes(key.begin(), key.end()),
        VouchRecord{
            {}, text(root.getName()), text(root.getOrgnr()), text(root.getKommunenummer())});
  });
  if (!v.isOk()) return v.status();
  auto& [key, record] = *v;
  if (key.size() != record.key.size()) return Status::corruption("vouch: key is not 32 bytes");
  std::copy(key.begin(), key.end(), record.key.begin());
  Status st = checkVouch(record);
  if (!st.isOk()) return Status::corruption("vouch: " + st.message());
  ALM_RETURN_IF_ERROR(requireSameEncoding(payload, encodeVouch(record), "vouch"));
  return record;
}

Status checkPayload(Kind kind, ByteView payload) {
  switch (kind) {
    case Kind::kCase:
    case Kind::kNeed:
    case Kind::kExperience:
      return decodeRecord(kind, payload).status();
    case Kind::kRetract:
      return decodeRetract(payload).status();
    case Kind::kProfile:
      return decodeProfile(payload).status();
    case Kind::kVouch:
      return decodeVouch(payload).status();
    default:
      return Status::corruption("entries of kind " + kindName(kind) +
                                " are not supported by this version");
  }
}

Result<std::optional<RecordId>> recordOfPayload(Kind kind, ByteView payload) {
  if (isRecordKind(kind)) {
    auto id = recordIdOf(kind, payload);
    if (!id.isOk()) return id.status();
    return std::optional<RecordId>(RecordId{kind, std::move(*id)});
  }
  if (kind == Kind::kRetract) {
    auto r = decodeRetract(payload);
    if (!r.isOk()) return r.status();
    return std::optional<RecordId>(RecordId{r->target, std::move(r->caseId)});
  }
  return std::optional<RecordId>();
}

}  // namespace allmenning
