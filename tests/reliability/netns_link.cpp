#include "reliability/netns_link.h"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <stdexcept>
#include <thread>

namespace dm::test {

namespace {

void must(const std::vector<std::string>& argv) {
  const auto r = run(argv);
  if (r.exit_code != 0) {
    std::string cmd;
    for (const auto& a : argv) cmd += a + " ";
    throw std::runtime_error("network setup failed: " + cmd + ": " + r.err + r.out);
  }
}

// Filters live in their own table inside the namespace, in chains on output (to the RGW) and
// input (from it), so that clearing faults is one flush.
constexpr const char* kFilterTable = "dm_faults";

// Full paths: the PATH of a test need not hold /usr/sbin.
const std::string kIp = "/usr/sbin/ip";
const std::string kNft = "/usr/sbin/nft";
const std::string kTc = "/usr/sbin/tc";
const std::string kSysctl = "/usr/sbin/sysctl";

}  // namespace

NetnsLink::NetnsLink(int rgw_port) : port_(rgw_port) {
  // Names and a /30 unique to this process and instance: suites of several builds may run at once.
  static std::atomic<unsigned> counter{0};
  const unsigned n = (static_cast<unsigned>(::getpid()) * 7 + counter++) % 16000;
  const std::string tag = std::to_string(n);
  ns_ = "dmrel" + tag;
  host_if_ = "dmrh" + tag;
  ns_if_ = "dmrn" + tag;
  table_ = "dm_rel_" + tag;
  const std::string net = "10." + std::to_string(200 + n / 4000) + "." + std::to_string((n % 4000) / 16) + ".";
  const unsigned base = (n % 16) * 16;
  host_ip_ = net + std::to_string(base + 1);
  ns_ip_ = net + std::to_string(base + 2);
  remove();
  // A constructor that throws gets no destructor call: undo here, or the namespace, the veth
  // and the DNAT table outlive the failed test.
  try {
    set_up();
  } catch (...) {
    remove();
    throw;
  }
}

void NetnsLink::set_up() {
  must({kIp, "netns", "add", ns_});
  must({kIp, "link", "add", host_if_, "type", "veth", "peer", "name", ns_if_});
  must({kIp, "link", "set", ns_if_, "netns", ns_});
  must({kIp, "addr", "add", host_ip_ + "/28", "dev", host_if_});
  must({kIp, "link", "set", host_if_, "up"});
  must({kIp, "-n", ns_, "addr", "add", ns_ip_ + "/28", "dev", ns_if_});
  must({kIp, "-n", ns_, "link", "set", ns_if_, "up"});
  must({kIp, "-n", ns_, "link", "set", "lo", "up"});
  // The RGW listens on 127.0.0.1 only: DNAT to it needs route_localnet on the host side.
  must({kSysctl, "-q", "-w", "net.ipv4.conf." + host_if_ + ".route_localnet=1"});
  nft("table ip " + table_ + " {\n chain pre {\n  type nat hook prerouting priority dstnat;\n  iifname \"" + host_if_ +
      "\" ip daddr " + host_ip_ + " tcp dport " + std::to_string(port_) +
      " dnat to 127.0.0.1:" + std::to_string(port_) + "\n }\n}\n");
  // The very first connection through a fresh DNAT is refused now and then (seen on this
  // kernel): probe until one gets through, so that faults are the only failures tests see.
  bool through = false;
  for (int i = 0; i < 50 && !through; ++i) {
    through =
        run(inside({"/bin/bash", "-c", "exec 3<>/dev/tcp/" + host_ip_ + "/" + std::to_string(port_)})).exit_code == 0;
    if (!through) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  if (!through) {
    // Tell a broken path from a server that is not there: the message then names the cause.
    const bool direct = run({"/bin/bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/" + std::to_string(port_)}).exit_code == 0;
    throw std::runtime_error("no TCP path from namespace " + ns_ + " to 127.0.0.1:" + std::to_string(port_) +
                             (direct ? "" : " (nothing listens there: is the object_servers fixture's RGW running?)"));
  }
  must({kIp, "netns", "exec", ns_, "nft",
        std::string("add table ip ") + kFilterTable + " ; add chain ip " + kFilterTable +
            " out { type filter hook output priority 0 ; } ; add chain ip " + kFilterTable +
            " in { type filter hook input priority 0 ; }"});
}

NetnsLink::~NetnsLink() {
  remove();
}

void NetnsLink::remove() const {
  (void)run({kNft, "delete", "table", "ip", table_});
  (void)run({kIp, "link", "del", host_if_});
  (void)run({kIp, "netns", "del", ns_});
}

std::string NetnsLink::endpoint() const {
  return "http://" + host_ip_ + ":" + std::to_string(port_);
}

std::vector<std::string> NetnsLink::inside(const std::vector<std::string>& argv) const {
  std::vector<std::string> out{"/usr/bin/nsenter", "--net=/run/netns/" + ns_, "--"};
  out.insert(out.end(), argv.begin(), argv.end());
  return out;
}

void NetnsLink::nft(const std::string& script) const {
  const std::string file = "/tmp/" + table_ + ".nft";
  write_file(file, script);
  const auto r = run({kNft, "-f", file});
  ::unlink(file.c_str());
  if (r.exit_code != 0) throw std::runtime_error("nft -f failed: " + r.err + "\n" + script);
}

void NetnsLink::fault_rules(const std::string& rules) {
  must({kIp, "netns", "exec", ns_, "nft", rules});
  ++faults_;
}

void NetnsLink::loss(int percent) {
  const std::string p = std::to_string(percent);
  const std::string port = std::to_string(port_);
  fault_rules(std::string("add rule ip ") + kFilterTable + " out tcp dport " + port + " numgen random mod 100 < " + p +
              " counter drop ; add rule ip " + kFilterTable + " in tcp sport " + port + " numgen random mod 100 < " +
              p + " counter drop");
}

void NetnsLink::resets(int percent) {
  // Data packets only (not the SYN): a reset in the middle of a transfer, not a refused connect.
  fault_rules(std::string("add rule ip ") + kFilterTable + " out tcp dport " + std::to_string(port_) +
              " tcp flags & (syn|rst) == 0 ct state established numgen random mod 100 < " + std::to_string(percent) +
              " counter reject with tcp reset");
}

void NetnsLink::bandwidth(const std::string& rate) {
  // tbf shapes egress: the namespace end for uploads, the host end for downloads.
  must({kTc, "qdisc", "replace", "dev", host_if_, "root", "tbf", "rate", rate, "burst", "32kbit", "latency", "400ms"});
  must({kIp, "netns", "exec", ns_, "tc", "qdisc", "replace", "dev", ns_if_, "root", "tbf", "rate", rate, "burst",
        "32kbit", "latency", "400ms"});
  ++faults_;
}

void NetnsLink::stall() {
  const std::string port = std::to_string(port_);
  fault_rules(std::string("add rule ip ") + kFilterTable + " out tcp dport " + port + " counter drop ; add rule ip " +
              kFilterTable + " in tcp sport " + port + " counter drop");
}

void NetnsLink::outage() {
  fault_rules(std::string("add rule ip ") + kFilterTable + " out tcp dport " + std::to_string(port_) +
              " counter reject with tcp reset");
}

void NetnsLink::clear() {
  // Count what the rules hit before they go: proof that the faults were really in the path.
  const auto listing = run({kIp, "netns", "exec", ns_, kNft, std::string("list table ip ") + kFilterTable});
  for (size_t at = listing.out.find("packets "); at != std::string::npos; at = listing.out.find("packets ", at + 8)) {
    packets_hit_ += std::strtoull(listing.out.c_str() + at + 8, nullptr, 10);
  }
  must({kIp, "netns", "exec", ns_, "nft", std::string("flush table ip ") + kFilterTable});
  (void)run({kTc, "qdisc", "del", "dev", host_if_, "root"});
  (void)run({kIp, "netns", "exec", ns_, "tc", "qdisc", "del", "dev", ns_if_, "root"});
}

}  // namespace dm::test
