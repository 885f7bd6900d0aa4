// How many table files RocksDB keeps open at most. The store sets it
// (storage/store.cpp), and with the node's sockets it sizes the node's file
// descriptor limit (node/limits.h).
#pragma once

namespace allmenning {

constexpr int kStoreMaxOpenFiles = 256;

}  // namespace allmenning
