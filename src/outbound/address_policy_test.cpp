#include "outbound/address_policy.h"

#include <gtest/gtest.h>

#include <string>

namespace studybot::outbound {
namespace {

struct Case {
  const char* address;
  bool is_public;
};

const Case kCases[] = {
    // Ordinary public unicast.
    {"8.8.8.8", true},
    {"1.1.1.1", true},
    {"93.184.216.34", true},
    {"172.15.255.255", true},  // just below 172.16/12
    {"172.32.0.0", true},      // just above it
    {"100.63.255.255", true},  // just below 100.64/10
    {"100.128.0.0", true},     // just above it
    {"198.17.255.255", true},  // just below 198.18/15
    {"198.20.0.0", true},      // just above it
    {"223.255.255.255", true},
    {"2606:4700:4700::1111", true},
    {"2001:4860:4860::8888", true},
    {"::ffff:8.8.8.8", true},
    {"64:ff9b::808:808", true},  // NAT64 for 8.8.8.8
    {"2002:808:808::1", true},   // 6to4 for 8.8.8.8

    // IPv4 special-purpose blocks.
    {"0.0.0.0", false},
    {"0.1.2.3", false},
    {"10.0.0.1", false},
    {"10.255.255.255", false},
    {"100.64.0.1", false},
    {"100.127.255.255", false},
    {"127.0.0.1", false},
    {"127.255.255.254", false},
    {"169.254.169.254", false},
    {"172.16.0.1", false},
    {"172.31.255.255", false},
    {"192.0.0.1", false},
    {"192.0.2.1", false},
    {"192.88.99.1", false},
    {"192.168.1.1", false},
    {"198.18.0.1", false},
    {"198.19.255.255", false},
    {"198.51.100.7", false},
    {"203.0.113.9", false},
    {"224.0.0.1", false},
    {"239.255.255.250", false},
    {"240.0.0.1", false},
    {"255.255.255.255", false},

    // IPv6 special-purpose blocks.
    {"::", false},
    {"::1", false},
    {"fe80::1", false},
    {"febf:ffff::1", false},
    {"fec0::1", false},
    {"fc00::1", false},
    {"fd12:3456:789a::1", false},
    {"ff02::1", false},
    {"ff0e::1", false},
    {"2001:db8::1", false},
    {"3fff::1", false},
    {"2001::1", false},       // Teredo
    {"2001:2::1", false},     // benchmarking
    {"2001:10::1", false},    // ORCHID
    {"2001:20::1", false},    // ORCHIDv2
    {"100::1", false},        // discard-only
    {"64:ff9b:1::1", false},  // local-use NAT64
    {"4000::1", false},       // outside global unicast
    {"1234::1", false},

    // IPv6 forms carrying an IPv4 address are judged by that address.
    {"::ffff:127.0.0.1", false},
    {"::ffff:10.1.2.3", false},
    {"::ffff:169.254.169.254", false},
    {"::ffff:0.0.0.0", false},
    {"::127.0.0.1", false},  // IPv4-compatible
    {"::192.168.0.1", false},
    {"64:ff9b::7f00:1", false},     // NAT64 for 127.0.0.1
    {"64:ff9b::a9fe:a9fe", false},  // NAT64 for 169.254.169.254
    {"2002:7f00:1::", false},       // 6to4 for 127.0.0.1
    {"2002:c0a8:101::1", false},    // 6to4 for 192.168.1.1
};

TEST(AddressPolicyTest, ClassifiesAddresses) {
  for (const Case& c : kCases) {
    auto address = boost::asio::ip::make_address(c.address);
    EXPECT_EQ(IsPublicAddress(address), c.is_public) << c.address;
  }
}

TEST(AddressPolicyTest, ScopedLinkLocalIsStillPrivate) {
  auto address = boost::asio::ip::make_address_v6(
      boost::asio::ip::make_address_v6("fe80::1").to_bytes(), /*scope_id=*/2);
  EXPECT_FALSE(IsPublicAddress(address));
}

TEST(AddressPolicyTest, AllowPrivateAdmitsEverything) {
  AddressPolicy strict;
  AddressPolicy lenient{.allow_private = true};
  for (const Case& c : kCases) {
    auto address = boost::asio::ip::make_address(c.address);
    EXPECT_EQ(strict.Allows(address), c.is_public) << c.address;
    EXPECT_TRUE(lenient.Allows(address)) << c.address;
  }
}

}  // namespace
}  // namespace studybot::outbound
