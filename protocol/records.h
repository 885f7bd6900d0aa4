// Payload records other than cases (retract, profile), and the one gate that
// checks any payload against its entry kind.
#pragma once

#include <string>

#include "protocol/bytes.h"
#include "protocol/entry.h"
#include "protocol/status.h"

namespace allmenning {

struct RetractRecord {
  std::string caseId;
  bool erase = false;  // ask nodes to drop earlier payloads of the case
};
Bytes encodeRetract(const RetractRecord& r);
Result<RetractRecord> decodeRetract(ByteView payload);

// An author's self-description, published as the first entry of its log.
struct ProfileRecord {
  std::string name;
  std::string orgnr;          // empty when absent
  std::string kommunenummer;  // empty when absent
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
};
// Validates the fields: the profile rules, plus orgnr or kommunenummer.
Status checkVouch(const VouchRecord& v);
Bytes encodeVouch(const VouchRecord& v);
Result<VouchRecord> decodeVouch(ByteView payload);

// Checks that `payload` is a valid record of `kind`. Kinds this version does
// not implement are refused, so nothing unchecked is ever stored.
Status checkPayload(Kind kind, ByteView payload);

// The case id an entry of `kind` concerns (case and retract), else empty.
Result<std::string> caseIdOfPayload(Kind kind, ByteView payload);

}  // namespace allmenning
