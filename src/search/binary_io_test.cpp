#include "search/binary_io.h"

#include <gtest/gtest.h>

#include "search/vector_math.h"

namespace studybot::search {
namespace {

uint32_t BitwiseCrc32(std::string_view bytes) {
  uint32_t crc = 0xFFFFFFFFu;
  for (unsigned char c : bytes) {
    crc ^= c;
    for (int bit = 0; bit < 8; ++bit)
      crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
  }
  return ~crc;
}

TEST(Crc32Test, MatchesTheStandardCheckValueAndABitwiseReference) {
  EXPECT_EQ(Crc32("123456789"), 0xCBF43926u);
  EXPECT_EQ(Crc32(""), 0u);
  std::string data;
  for (int i = 0; i < 1000; ++i)
    data.push_back(static_cast<char>(i * 7 + i / 13));
  for (std::size_t length : {1u, 7u, 8u, 9u, 63u, 1000u}) {
    const std::string_view piece = std::string_view(data).substr(0, length);
    EXPECT_EQ(Crc32(piece), BitwiseCrc32(piece)) << length;
  }
  EXPECT_EQ(Crc32(std::string_view(data).substr(300), Crc32(std::string_view(data).substr(0, 300))),
            Crc32(data));
}

TEST(SnapshotReaderTest, ReadsWhatPutWroteAndNeverPastTheEnd) {
  std::string out;
  PutU8(out, 0xAB);
  PutU16(out, 0xBEEF);
  PutU32(out, 0xDEADBEEF);
  PutU64(out, 0x0123456789ABCDEFULL);
  const float floats[3] = {1.5f, -2.0f, 3.25f};
  PutArray(out, floats, 3);
  EXPECT_EQ(out.substr(1, 2), std::string("\xEF\xBE", 2));  // little-endian

  SnapshotReader in(out);
  uint8_t a = 0;
  uint16_t b = 0;
  uint32_t c = 0;
  uint64_t d = 0;
  float f[3] = {};
  ASSERT_TRUE(in.U8(a) && in.U16(b) && in.U32(c) && in.U64(d) && in.Array(3, f));
  EXPECT_EQ(a, 0xAB);
  EXPECT_EQ(b, 0xBEEF);
  EXPECT_EQ(c, 0xDEADBEEFu);
  EXPECT_EQ(d, 0x0123456789ABCDEFULL);
  EXPECT_EQ(f[2], 3.25f);
  EXPECT_EQ(in.remaining(), 0u);
  EXPECT_FALSE(in.U8(a));
  std::string_view rest;
  EXPECT_FALSE(in.Bytes(1, rest));

  SnapshotReader huge(out);
  EXPECT_FALSE(huge.Array(SIZE_MAX / 2, f));  // no overflow in the bounds check
  EXPECT_EQ(huge.remaining(), out.size());
}

TEST(VectorMathTest, BestKernelAgreesWithThePortableOne) {
  std::vector<float> a(1000), b(1000);
  for (int i = 0; i < 1000; ++i) {
    a[i] = static_cast<float>((i * 37) % 101) / 101.0f - 0.5f;
    b[i] = static_cast<float>((i * 53) % 89) / 89.0f - 0.5f;
  }
  const DotFunction best = BestDotFunction();
  for (std::size_t n : {0u, 1u, 7u, 8u, 31u, 32u, 33u, 384u, 1000u}) {
    EXPECT_NEAR(best(a.data(), b.data(), n), DotPortable(a.data(), b.data(), n), 1e-4) << n;
  }
  EXPECT_FLOAT_EQ(DotPortable(a.data(), a.data(), 3), a[0] * a[0] + a[1] * a[1] + a[2] * a[2]);
}

}  // namespace
}  // namespace studybot::search
