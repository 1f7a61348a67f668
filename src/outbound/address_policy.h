// AddressPolicy: which peer addresses an outbound connection may reach.
//
// Requests made on behalf of users (a chatbot's source URLs, webhooks) must not reach the
// server's own network: loopback services, the cloud metadata endpoint (169.254.169.254), a
// database on 10.0.0.5. The check is made on the numeric address actually being connected to, so
// it holds whatever a host name resolves to and wherever a redirect leads (see http_client.h).
//
// Pure functions of their arguments; safe to call from any thread.
#pragma once

#include <boost/asio/ip/address.hpp>

namespace studybot::outbound {

// True when `address` is ordinary globally routable unicast. False for loopback, unspecified,
// private (RFC 1918), shared (CGNAT), link-local, multicast, broadcast, reserved, benchmarking and
// documentation ranges, IPv6 unique-local and site-local, and anything outside IPv6 global unicast
// (2000::/3). IPv6 forms that carry an IPv4 address (::ffff:a.b.c.d, ::a.b.c.d, 64:ff9b::/96,
// 6to4 2002::/16) are judged by the IPv4 address inside, since that is where the packets go.
bool IsPublicAddress(const boost::asio::ip::address& address);

struct AddressPolicy {
  // Permit every address. For tests and single-machine setups whose fetch targets run locally;
  // never for a server that fetches URLs its users chose.
  bool allow_private = false;

  bool Allows(const boost::asio::ip::address& address) const {
    return allow_private || IsPublicAddress(address);
  }
};

}  // namespace studybot::outbound
