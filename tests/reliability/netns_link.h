// Network faults between datamon and the Ceph RGW of the stores fixture, made in a network
// namespace of the test's own (this kernel has no sch_netem, so no `tc netem`): a veth pair
// joins the namespace to the root namespace, where an nftables DNAT (with route_localnet)
// forwards <host side>:7480 to the RGW on 127.0.0.1:7480. Faults act on that path only:
// packet loss and TCP resets (nftables numgen), a bandwidth limit (tbf on both ends), and
// stalls or outages (drop or reset everything until cleared). Everything is removed in the
// destructor. Needs root, iproute2 and nftables.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "support/test_support.h"

namespace dm::test {

class NetnsLink {
 public:
  // `rgw_port`: the RGW's port on 127.0.0.1 in the root namespace.
  explicit NetnsLink(int rgw_port);
  ~NetnsLink();
  NetnsLink(const NetnsLink&) = delete;
  NetnsLink& operator=(const NetnsLink&) = delete;

  // http://<host side address>:<port>: the RGW as seen from inside the namespace.
  std::string endpoint() const;
  // argv that runs `argv` inside the namespace (network only: mounts stay visible).
  std::vector<std::string> inside(const std::vector<std::string>& argv) const;

  // Drops `percent` % of the packets to and from the RGW, each direction on its own.
  void loss(int percent);
  // Answers `percent` % of the data packets sent to the RGW with a TCP reset.
  void resets(int percent);
  // Limits both directions to `rate` (tc syntax, e.g. "4mbit").
  void bandwidth(const std::string& rate);
  // Silently drops everything to and from the RGW (a stall: TCP retransmits until cleared).
  void stall();
  // Refuses every connection and resets every open one (an outage: fails fast).
  void outage();
  // Removes every fault.
  void clear();

  int faults_applied() const { return faults_; }
  // Packets dropped or reset by the nftables faults cleared so far.
  uint64_t packets_hit() const { return packets_hit_; }

 private:
  // Creates the namespace, the veth pair and the DNAT, and waits for a first connection.
  void set_up();
  // Removes whatever of those exists (each step may fail: it was never made).
  void remove() const;
  void nft(const std::string& script) const;
  void fault_rules(const std::string& rules);

  std::string ns_, host_if_, ns_if_, host_ip_, ns_ip_, table_;
  int port_;
  int faults_ = 0;
  uint64_t packets_hit_ = 0;
};

}  // namespace dm::test
