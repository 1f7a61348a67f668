// Binary encoding for index snapshots (DenseIndex, HnswGraph): appending little-endian integers and
// raw arrays to a std::string, a bounds-checked reader over untrusted bytes, and CRC-32.
//
// Arrays of floats and integers are copied with memcpy in host order, which is what makes loading
// a 150 MB snapshot a few memcpys; the static_assert in binary_io.cpp keeps the code from building
// on a big-endian host instead of silently writing another byte order.
//
// Thread-safety: the functions are pure; a SnapshotReader is a cursor for one thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <type_traits>

namespace studybot::search {

// CRC-32 as in zlib, PNG and Ethernet (reflected polynomial 0xEDB88320): Crc32("123456789") is
// 0xCBF43926. Pass the previous result as `crc` to checksum data in pieces.
uint32_t Crc32(std::string_view bytes, uint32_t crc = 0);

void PutU8(std::string& out, uint8_t v);
void PutU16(std::string& out, uint16_t v);
void PutU32(std::string& out, uint32_t v);
void PutU64(std::string& out, uint64_t v);

// Appends `count` elements of a trivially copyable T, in host (little-endian) order.
template <typename T>
void PutArray(std::string& out, const T* data, std::size_t count) {
  static_assert(std::is_trivially_copyable_v<T>);
  if (count == 0) return;  // data may be null (an empty vector's)
  out.append(reinterpret_cast<const char*>(data), count * sizeof(T));
}

// Reads what the Put functions wrote. Every method returns false, reading nothing, rather than go
// past the end; after a false the caller is expected to give up.
class SnapshotReader {
 public:
  explicit SnapshotReader(std::string_view data) : data_(data) {}

  std::size_t remaining() const { return data_.size() - pos_; }

  bool U8(uint8_t& v);
  bool U16(uint16_t& v);
  bool U32(uint32_t& v);
  bool U64(uint64_t& v);

  // Copies `count` elements of T into `out`, which must have room for them.
  template <typename T>
  bool Array(std::size_t count, T* out) {
    static_assert(std::is_trivially_copyable_v<T>);
    if (count > remaining() / sizeof(T)) return false;
    if (count == 0) return true;  // out may be null (an empty vector's)
    std::memcpy(out, data_.data() + pos_, count * sizeof(T));
    pos_ += count * sizeof(T);
    return true;
  }

  // The next `n` bytes, without copying; they stay valid as long as the input does.
  bool Bytes(std::size_t n, std::string_view& v);

 private:
  std::string_view data_;
  std::size_t pos_ = 0;
};

}  // namespace studybot::search
