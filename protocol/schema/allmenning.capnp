@0x9761c2a978970e76;
# Allmenning wire and storage schema. Every struct that is signed or hashed is
# encoded with capnp::canonicalize, so a given value has exactly one byte form.
# Fields are only ever added at the end, never renumbered.

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("allmenning::schema");

enum Kind {
  case @0;        # payload: Case
  need @1;        # payload: Need
  experience @2;  # payload: Experience
  retract @3;     # payload: Retract
  vouch @4;       # payload: Vouch; the author vouches for another body's key
  profile @5;     # payload: Profile; the author's self-description
}

# The signed part of an entry. signature = Ed25519(sk, "allmenning/entry/v1" || canonical(Header)).
struct Header {
  network @0 :Data;      # 32 bytes, BLAKE2b-256 of the federation name
  author @1 :Data;       # 32 bytes, Ed25519 public key
  seq @2 :UInt64;        # 1, 2, 3, ... without gaps
  prev @3 :Data;         # 32 bytes, entryHash of seq-1; zeros for seq 1
  kind @4 :Kind;
  timestamp @5 :Int64;   # author's clock, ms since epoch; informational only
  payloadHash @6 :Data;  # 32 bytes, BLAKE2b-256 of the payload bytes
  payloadSize @7 :UInt32;
}

struct Party {
  name @0 :Text;
  orgnr @1 :Text;          # 9 digits, MOD11-valid; absent when empty
  kommunenummer @2 :Text;  # 4 digits; absent when empty
  role @3 :Text;           # lead | participant; absent when empty
}

struct Value {
  amount @0 :Float64;
  currency @1 :Text;       # ISO 4217
}

struct Document {
  title @0 :Text;
  type @1 :Text;           # OCDS documentType code
  url @2 :Text;
  sha256 @3 :Text;         # 64 lowercase hex; absent when empty
}

struct Contact {
  role @0 :Text;
  name @1 :Text;
  email @2 :Text;
}

struct Related {
  case @0 :Text;           # <author-hex>/<id>
  relationship @1 :Text;   # derived-from | prior | follow-up | same-need
}

# A procurement case. Optional text fields are null pointers when absent, so
# "absent" and "empty" never both exist (empty strings are refused on input).
struct Case {
  id @0 :Text;
  title @1 :Text;
  summary @2 :Text;
  need @3 :Text;
  language @4 :Text;
  buyers @5 :List(Party);
  procedure @6 :Text;
  innovationTypes @7 :List(Text);
  cpv @8 :List(Text);
  sector @9 :Text;
  status @10 :Text;
  started @11 :Text;
  ended @12 :Text;
  suppliers @13 :List(Party);
  value @14 :Value;
  solution @15 :Text;
  results @16 :Text;
  lessonsLearned @17 :Text;
  documents @18 :List(Document);
  contact @19 :Contact;
  doffin @20 :List(Text);
  related @21 :List(Related);
  tags @22 :List(Text);
}

# Hides the record (author, target, caseId). The field keeps its first name
# from when only cases could be retracted; it holds a need's or an
# experience's id when target says so.
struct Retract {
  caseId @0 :Text;
  erase @1 :Bool;          # ask nodes to drop the payloads of earlier versions
  target @2 :Kind;         # case | need | experience; the default keeps old retracts valid
}

# "We are looking for this; who has done it?" Same field rules as a case.
struct Need {
  id @0 :Text;
  title @1 :Text;
  need @2 :Text;
  cpv @3 :List(Text);
  sector @4 :Text;
  buyers @5 :List(Party);
  contact @6 :Contact;
}

# Another body's report on reusing a case.
struct Experience {
  id @0 :Text;
  case @1 :Text;           # <author-hex>/<id> of the case it is about
  text @2 :Text;
  results @3 :Text;
}

struct Profile {
  name @0 :Text;
  orgnr @1 :Text;
  kommunenummer @2 :Text;
}

# "I know this key belongs to this body." Nodes that trust the author of a
# vouch directly accept entries of the vouched key too (docs/protocol.md).
struct Vouch {
  key @0 :Data;            # 32 bytes: the vouched body's Ed25519 public key
  name @1 :Text;
  orgnr @2 :Text;          # at least one of orgnr and kommunenummer is set
  kommunenummer @3 :Text;
}
