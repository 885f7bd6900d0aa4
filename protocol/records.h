// Payload records other than the JSON records (retract, profile, vouch), and
// the one gate that checks any payload against its entry kind.
#pragma once

#include <optional>
#include <string>

#include "protocol/bytes.h"
#include "protocol/entry.h"
#include "protocol/status.h"

namespace allmenning {

// Hides the record (author, target, caseId). A case and a need of one author
// may share an id: the target says which one is meant.
struct RetractRecord {
  std::string caseId;         // the id of the retracted record, whatever its kind
  bool erase = false;         // ask nodes to drop earlier payloads of the record
  Kind target = Kind::kCase;  // case, need or experience (isRecordKind)
};
Bytes encodeRetract(const RetractRecord& r);
Result<RetractRecord> decodeRetract(ByteView payload);

// An author's self-description, published as the first entry of its log
// and again on each change (`profile set`); the latest one holds.
struct ProfileRecord {
  std::string name;
  std::string orgnr;          // empty when absent
  std::string kommunenummer;  // empty when absent
  bool operator==(const ProfileRecord&) const = default;
};
// Validates the fields with the case format's rules.
Status checkProfile(const ProfileRecord& p);
Bytes encodeProfile(const ProfileRecord& p);
Result<ProfileRecord> decodeProfile(ByteView payload);

// One body vouching for another's key. Nodes that trust the voucher directly
// accept the vouched key's entries too; vouches do not chain further.
struct VouchRecord {
  PublicKey key{};
  std::string name;
  std::string orgnr;  // at least one of orgnr and kommunenummer is set
  std::string kommunenummer;
  bool operator==(const VouchRecord&) const = default;
};
// Validates the fields: the profile rules, plus orgnr or kommunenummer, and
// a key that is not all zeros (no body holds it; it stands for "none").
Status checkVouch(const VouchRecord& v);
Bytes encodeVouch(const VouchRecord& v);
Result<VouchRecord> decodeVouch(ByteView payload);

// Checks that `payload` is a valid record of `kind`. Kinds this version does
// not implement are refused, so nothing unchecked is ever stored.
Status checkPayload(Kind kind, ByteView payload);

// The record an entry creates, updates or retracts, by kind and id: for a
// case, need or experience entry its own kind and id, for a retract its
// target. nullopt for kinds that address no record (profile, vouch).
struct RecordId {
  Kind kind = Kind::kCase;
  std::string id;
};
Result<std::optional<RecordId>> recordOfPayload(Kind kind, ByteView payload);

}  // namespace allmenning
