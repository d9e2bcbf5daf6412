// Configs shared by the parse, render and golden tests: the minimal one and one with every field
// away from its default.
#pragma once

#include "lib/sidecarconfig/config.h"

namespace mailroom::sidecarconfig::testing {

inline SidecarConfig minimalConfig() {
  SidecarConfig c;
  c.hostname = "mail.example.com";
  c.transports.push_back({.name = "direct"});
  return c;
}

inline SidecarConfig everyFieldConfig() {
  using namespace std::chrono_literals;
  SidecarConfig c;
  c.grpcListen = {"127.0.0.1:7000", "[::1]:7000", "unix:/run/mailroom/sidecar.sock"};
  c.metricsListen = "[::]:9600";
  c.exposeMetrics = true;
  c.spoolDirectory = "/data/spool";
  c.maxMessageBytes = 1048576;
  c.hostname = "mail.example.com";
  c.resolvers = {"198.51.100.53", "[2001:db8::53]:5353"};
  c.dnsTimeout = 2500ms;
  c.dnsTries = 5;
  c.delivery.concurrency = 7;
  c.dkim.required = true;
  c.dkim.keys = {{"example.com", "rsa2026", "rsa-sha256", "/etc/mailroom/dkim/rsa.pem"},
                 {"example.com", "ed2026", "ed25519-sha256", "/etc/mailroom/dkim/ed.seed"}};

  Transport dual{.name = "dual-stack"};
  DirectTransport d;
  d.family = {std::nullopt, AddressFamily::kIpv4};
  d.sourceAddresses = {"198.51.100.10", "2001:db8:5::10"};
  d.ehloHostname = "out.example.com";
  d.tls = TlsPolicy::kRequired;
  d.port = 2525;
  d.nextHop = "[mx.example.net]:2526";
  d.rememberRejectedFamily = std::chrono::hours(48);
  dual.mode = d;
  dual.routes = {{{"*"}, 0}, {{"example.net", "*.example.org"}, 10}};
  dual.perDestination = {{"gmail.com", 100, 5, 50, 100},
                         {"*.yahoo.com", 30, std::nullopt, std::nullopt},
                         {"*", std::nullopt, 2, 20}};
  dual.warmup = {{1, 50}, {2, 100}, {10, 5000}};
  dual.pause = Pause{250, 30min, 20};
  dual.responseRules = {
      {"slow-down", {421, 451}, "4.7.0", "slow down", "example.net", "defer-destination", 15min},
      {"gmail-no-ptr", {}, "", "", "", "none", 0s}};
  dual.retry = {60s, 3600s, 48h};

  Transport v6{.name = "ipv6-only"};
  DirectTransport d6;
  d6.family = {AddressFamily::kIpv6};
  d6.tls = TlsPolicy::kNone;
  v6.mode = d6;
  v6.routes = {{{"example.net"}, 1000}};

  Transport relay{.name = "smarthost"};
  relay.mode = RelayTransport{"smtp.example.net", 465, TlsPolicy::kImplicit,
                              RelayCredentials{"/etc/mailroom/relay/smarthost/username",
                                               "/etc/mailroom/relay/smarthost/password"},
                              "/etc/mailroom/relay/ca.pem"};
  relay.routes = {{{"*.example.com"}, 100}};

  c.transports = {dual, v6, relay};
  return c;
}

}  // namespace mailroom::sidecarconfig::testing
