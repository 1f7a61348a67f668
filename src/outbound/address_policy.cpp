#include "outbound/address_policy.h"

#include <array>
#include <cstdint>

namespace studybot::outbound {
namespace {

using boost::asio::ip::address_v4;
using boost::asio::ip::address_v6;

struct V4Block {
  std::uint32_t base;
  int bits;
};

constexpr std::uint32_t V4(std::uint32_t a, std::uint32_t b, std::uint32_t c, std::uint32_t d) {
  return a << 24 | b << 16 | c << 8 | d;
}

// Blocks that are not globally reachable unicast (IANA IPv4 Special-Purpose Address Registry).
// 192.0.0.0/24 is refused whole although two of its /32s are anycast services: nothing we fetch
// lives there.
constexpr V4Block kNonPublicV4[] = {
    {V4(0, 0, 0, 0), 8},        // "this network"; 0.0.0.0 reaches the local host on Linux
    {V4(10, 0, 0, 0), 8},       // private
    {V4(100, 64, 0, 0), 10},    // shared address space (carrier-grade NAT)
    {V4(127, 0, 0, 0), 8},      // loopback
    {V4(169, 254, 0, 0), 16},   // link-local, home of cloud metadata endpoints
    {V4(172, 16, 0, 0), 12},    // private
    {V4(192, 0, 0, 0), 24},     // IETF protocol assignments
    {V4(192, 0, 2, 0), 24},     // documentation (TEST-NET-1)
    {V4(192, 88, 99, 0), 24},   // deprecated 6to4 relay anycast
    {V4(192, 168, 0, 0), 16},   // private
    {V4(198, 18, 0, 0), 15},    // benchmarking
    {V4(198, 51, 100, 0), 24},  // documentation (TEST-NET-2)
    {V4(203, 0, 113, 0), 24},   // documentation (TEST-NET-3)
    {V4(224, 0, 0, 0), 4},      // multicast
    {V4(240, 0, 0, 0), 4},      // reserved, including the broadcast address 255.255.255.255
};

bool IsPublicV4(std::uint32_t a) {
  for (const V4Block& block : kNonPublicV4) {
    std::uint32_t mask = ~std::uint32_t{0} << (32 - block.bits);
    if ((a & mask) == block.base) return false;
  }
  return true;
}

struct V6Block {
  std::array<unsigned char, 16> base;
  int bits;
};

bool InBlock(const address_v6::bytes_type& b, const V6Block& block) {
  int full = block.bits / 8;
  for (int i = 0; i < full; ++i) {
    if (b[i] != block.base[i]) return false;
  }
  int rest = block.bits % 8;
  if (rest == 0) return true;
  unsigned char mask = static_cast<unsigned char>(0xff << (8 - rest));
  return (b[full] & mask) == (block.base[full] & mask);
}

// IPv6 is judged by allowing global unicast (2000::/3) only, so unique-local fc00::/7, link-local
// fe80::/10, site-local fec0::/10, multicast ff00::/8 and the reserved space are refused without
// being listed. These are the non-public blocks inside 2000::/3.
constexpr V6Block kNonPublicGlobalV6[] = {
    {{0x20, 0x01, 0x00, 0x00}, 32},              // Teredo: the tunnel may lead anywhere
    {{0x20, 0x01, 0x00, 0x02, 0x00, 0x00}, 48},  // benchmarking
    {{0x20, 0x01, 0x00, 0x10}, 28},              // ORCHID (deprecated), not routable
    {{0x20, 0x01, 0x00, 0x20}, 28},              // ORCHIDv2, not routable
    {{0x20, 0x01, 0x0d, 0xb8}, 32},              // documentation
    {{0x3f, 0xff, 0x00}, 20},                    // documentation (RFC 9637)
};

constexpr V6Block kGlobalUnicast = {{0x20}, 3};
constexpr V6Block kIpv4Mapped = {{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff}, 96};
// Deprecated IPv4-compatible form; it also covers :: and ::1 (0.0.0.0 and 0.0.0.1, both in 0/8).
constexpr V6Block kIpv4Compatible = {{}, 96};
constexpr V6Block kNat64 = {{0x00, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0}, 96};
constexpr V6Block k6to4 = {{0x20, 0x02}, 16};

std::uint32_t V4At(const address_v6::bytes_type& b, int offset) {
  return V4(b[offset], b[offset + 1], b[offset + 2], b[offset + 3]);
}

bool IsPublicV6(const address_v6::bytes_type& b) {
  // Translated and tunnelled forms deliver to the IPv4 address inside: a NAT64 gateway turns
  // 64:ff9b::7f00:1 into 127.0.0.1 on its side, and the kernel sends ::ffff:127.0.0.1 to loopback.
  if (InBlock(b, kIpv4Mapped) || InBlock(b, kIpv4Compatible) || InBlock(b, kNat64)) {
    return IsPublicV4(V4At(b, 12));
  }
  if (InBlock(b, k6to4)) return IsPublicV4(V4At(b, 2));
  if (!InBlock(b, kGlobalUnicast)) return false;
  for (const V6Block& block : kNonPublicGlobalV6) {
    if (InBlock(b, block)) return false;
  }
  return true;
}

}  // namespace

bool IsPublicAddress(const boost::asio::ip::address& address) {
  if (address.is_v4()) return IsPublicV4(address.to_v4().to_uint());
  return IsPublicV6(address.to_v6().to_bytes());
}

}  // namespace studybot::outbound
