#include "http/client_ip.h"

#include <charconv>

#include "core/strings.h"

namespace studybot::http {
namespace {

namespace ip = boost::asio::ip;

ip::address Normalize(const ip::address& a) {
  if (a.is_v6() && a.to_v6().is_v4_mapped()) {
    return ip::make_address_v4(ip::v4_mapped, a.to_v6());
  }
  return a;
}

bool PrefixMatch(const ip::address& a, const ip::address& base, unsigned prefix) {
  if (a.is_v4() != base.is_v4()) return false;
  if (a.is_v4()) {
    uint32_t x = a.to_v4().to_uint();
    uint32_t y = base.to_v4().to_uint();
    uint32_t mask = prefix == 0 ? 0 : ~uint32_t{0} << (32 - prefix);
    return (x & mask) == (y & mask);
  }
  auto x = a.to_v6().to_bytes();
  auto y = base.to_v6().to_bytes();
  unsigned bits = prefix;
  for (std::size_t i = 0; i < 16 && bits > 0; ++i) {
    unsigned take = bits >= 8 ? 8 : bits;
    auto mask = static_cast<unsigned char>(0xff << (8 - take));
    if ((x[i] & mask) != (y[i] & mask)) return false;
    bits -= take;
  }
  return true;
}

}  // namespace

Result<TrustedProxies> TrustedProxies::Parse(const std::vector<std::string>& entries) {
  TrustedProxies tp;
  for (const auto& e : entries) {
    auto slash = e.find('/');
    boost::system::error_code ec;
    auto addr = ip::make_address(e.substr(0, slash), ec);
    if (ec) {
      return Error::InvalidArgument("http.trusted_proxies: '" + e + "' is not an IP or CIDR");
    }
    addr = Normalize(addr);
    unsigned max = addr.is_v4() ? 32 : 128;
    unsigned prefix = max;
    if (slash != std::string::npos) {
      auto digits = e.substr(slash + 1);
      auto [p, err] = std::from_chars(digits.data(), digits.data() + digits.size(), prefix);
      if (err != std::errc() || p != digits.data() + digits.size() || prefix > max) {
        return Error::InvalidArgument("http.trusted_proxies: bad prefix length in '" + e + "'");
      }
    }
    tp.blocks_.push_back({addr, prefix});
  }
  return tp;
}

bool TrustedProxies::Contains(const ip::address& addr) const {
  auto a = Normalize(addr);
  for (const auto& b : blocks_) {
    if (PrefixMatch(a, b.base, b.prefix)) return true;
  }
  return false;
}

TrustedProxies::Client TrustedProxies::Resolve(const ip::address& peer,
                                               std::string_view forwarded_for,
                                               std::string_view forwarded_proto) const {
  Client c{Normalize(peer).to_string(), false};
  if (blocks_.empty() || !Contains(peer)) return c;
  auto proto = Split(forwarded_proto, ',');
  if (!proto.empty() && EqualsIgnoreCase(Trim(proto.front()), "https")) c.secure = true;
  auto hops = Split(forwarded_for, ',');
  for (auto it = hops.rbegin(); it != hops.rend(); ++it) {
    auto hop = Trim(*it);
    boost::system::error_code ec;
    auto addr = ip::make_address(hop, ec);
    if (ec) break;  // garbage: stop believing the chain here
    c.ip = Normalize(addr).to_string();
    if (!Contains(addr)) break;
  }
  return c;
}

}  // namespace studybot::http
