// Who the client is when proxies sit in front of us. X-Forwarded-For and X-Forwarded-Proto are
// believed only when the TCP peer is one of the configured trusted proxies; the client is then the
// right-most address in X-Forwarded-For that is not itself a trusted proxy.
//
// Immutable after construction: thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/ip/address.hpp>

#include "core/result.h"

namespace studybot::http {

class TrustedProxies {
 public:
  // Entries are addresses ("10.0.0.5", "::1") or CIDR blocks ("10.0.0.0/8").
  static Result<TrustedProxies> Parse(const std::vector<std::string>& entries);

  bool Contains(const boost::asio::ip::address& addr) const;

  struct Client {
    std::string ip;
    bool secure = false;  // the client used TLS in front of the proxy
  };
  Client Resolve(const boost::asio::ip::address& peer, std::string_view forwarded_for,
                 std::string_view forwarded_proto) const;

 private:
  struct Block {
    boost::asio::ip::address base;
    unsigned prefix;
  };
  std::vector<Block> blocks_;
};

}  // namespace studybot::http
