@0x93b93757c9f9abbe;
# Allmenning sync messages: what two peers exchange inside one sealed frame
# (plaintext at most 1 MiB). docs/protocol.md, "Sync messages and state
# machine", describes the exchange. Fields and union members are only ever
# added at the end; a peer that receives a member it does not know answers
# with an Error "unimplemented" instead of dropping the connection.

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("allmenning::wire");

# One author's log as the sender holds it.
struct AuthorHead {
  author @0 :Data;   # 32 bytes, Ed25519 public key
  seq @1 :UInt64;    # 0 when the sender holds nothing of this author
  hash @2 :Data;     # 32 bytes, entryHash at seq
  forked @3 :Bool;   # the sender holds a fork proof for this author
}

# One entry in its wire parts; the receiver re-checks everything.
struct WireEntry {
  header @0 :Data;      # canonical Header bytes (at most 256)
  signature @1 :Data;   # 64 bytes
  payload @2 :Data;     # null when the sender holds no payload (erased)
}

struct SignedHeader {
  header @0 :Data;
  signature @1 :Data;
}

struct Hello {
  version @0 :UInt32;   # protocol version, 1
  network @1 :Data;     # 32 bytes, federation id
  ack @2 :Bool;         # the sender has already received the peer's Hello
}

struct Heads {
  heads @0 :List(AuthorHead);
}

# Asks for entries fromSeq..toSeq (inclusive) of one author.
struct Want {
  author @0 :Data;
  fromSeq @1 :UInt64;
  toSeq @2 :UInt64;
}

struct Entries {
  entries @0 :List(WireEntry);
}

# Two validly signed headers of one author with the same seq and different
# hashes: proof that the author equivocated.
struct ForkProof {
  a @0 :SignedHeader;
  b @1 :SignedHeader;
}

struct Error {
  code @0 :UInt16;
  text @1 :Text;
}

struct Ping {
  nonce @0 :UInt64;
}

struct Message {
  union {
    hello @0 :Hello;
    heads @1 :Heads;
    want @2 :Want;
    entries @3 :Entries;
    forkProof @4 :ForkProof;
    error @5 :Error;
    ping @6 :Ping;
    pong @7 :Ping;
  }
}
