// A free loopback TCP port for a listener that is configured long before it
// binds (peers' addresses are written into each other's configuration
// first): taken below the kernel's ephemeral range, so outgoing connections
// opened meanwhile cannot land on it. Tests and benchmarks only.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <fstream>

namespace zx::base {

inline int PortOutsideEphemeralRange() {
  static std::atomic<int> next = [] {
    int low = 32768, high = 60999;
    std::ifstream("/proc/sys/net/ipv4/ip_local_port_range") >> low >> high;
    // Spread concurrent processes over the range below `low`.
    const int span = low > 12000 ? low - 10000 : 2000;
    return 10000 + static_cast<int>(getpid() % (span / 64)) * 64;
  }();
  for (int tries = 0; tries < 4096; ++tries) {
    const int port = next.fetch_add(1);
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<uint16_t>(port));
    const bool free = bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    close(fd);
    if (free) return port;
  }
  return 0;
}

}  // namespace zx::base
