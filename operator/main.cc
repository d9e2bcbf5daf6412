// mailroom-operator: reconciles MailDomain and Transport objects (operator/controllers) against the
// Kubernetes API through the generic controller runtime (operator/kube: informers and typed
// stores, controllers, one Manager).
//   --kubeconfig PATH     default $KUBECONFIG, else in-cluster configuration
//   --context NAME        kubeconfig context (default: current-context)
//   --namespace NS        watch one namespace (default: all)
//   --leader-elect        hold the Lease before reconciling (several replicas)
//   --lease-namespace NS  where the Lease lives (default: --namespace, else "default")
//   --identity ID         the Lease holder identity (default: hostname_pid)
//   --metrics-addr ADDR   /metrics, /healthz, /readyz (default 127.0.0.1:9588; "" disables)
//   --resync SECONDS      periodic re-reconcile of every object (default 600)
//   --workers N           reconcile workers per controller (default 2; one key is never
//                         processed twice at once)
//   --cluster-name NAME   names this cluster in the DNS ownership records (default "default";
//                         give each cluster that writes into one zone its own)
//   --cleanup-timeout S   how long deleting a MailDomain waits for a failing DNS provider before
//                         it is released with a Warning Event (default 600)
//   --resolver ADDR       DNS server for the health checks, "ip" or "ip:port" (repeatable;
//                         default: /etc/resolv.conf, the cluster's resolver)
//   --health-interval S   how often the SPF/PTR/DKIM/DMARC/blocklist checks run again
//                         (default 600, jittered; 0 disables them)
//   --authoritative-server ADDR
//                         ask this server ("ip" or "ip:port", repeatable) whether a new DKIM
//                         key's record is served, instead of the zone's NS (split horizon, labs)
//   --dkim-grace-period S how long a replaced DKIM key stays published (default 604800, 7 days)
//   --dnsbl-zone ZONE     a DNS blocklist to check every sending IP on (repeatable; none by
//                         default: querying lists has a cost and some need a paid key)
// Logs are JSON lines on stderr. SIGTERM/SIGINT stop the workers, release the Lease and exit 0.
// Losing the Lease exits 1 at once, as controller-runtime does: a replica that may no longer be
// leader must stop writing immediately, and a restart campaigns again from a clean state.
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "lib/common/asio.h"
#include "lib/log/log.h"
#include "lib/metrics/metrics.h"
#include "operator/controllers/maildomain_controller.h"
#include "operator/controllers/transport_controller.h"
#include "operator/kube/events.h"
#include "operator/kube/http_transport.h"
#include "operator/kube/lease.h"
#include "operator/kube/manager.h"

namespace {

using namespace mailroom;

struct Flags {
  std::string kubeconfig, context, ns, leaseNamespace, identity, clusterName = "default";
  std::string metricsAddr = "127.0.0.1:9588";
  bool leaderElect = false;
  int resyncSeconds = 600, workers = 2, cleanupTimeoutSeconds = 600, healthIntervalSeconds = 600;
  std::vector<std::string> resolvers, dnsblZones, authoritativeServers;
  long dkimGraceSeconds = 7 * 24 * 3600;
};

int usage() {
  std::fprintf(stderr,
               "usage: mailroom-operator [--kubeconfig PATH] [--context NAME] [--namespace NS]\n"
               "  [--leader-elect] [--lease-namespace NS] [--identity ID] [--metrics-addr ADDR]\n"
               "  [--resync SECONDS] [--workers N] [--cluster-name NAME] [--cleanup-timeout S]\n"
               "  [--resolver ADDR]... [--health-interval S] [--dnsbl-zone ZONE]...\n"
               "  [--authoritative-server ADDR]... [--dkim-grace-period S]\n");
  return 2;
}

bool parseFlags(int argc, char** argv, Flags& f) {
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&](std::string& out) {
      if (i + 1 >= argc) return false;
      out = argv[++i];
      return true;
    };
    std::string n;
    if (a == "--kubeconfig") {
      if (!value(f.kubeconfig)) return false;
    } else if (a == "--context") {
      if (!value(f.context)) return false;
    } else if (a == "--namespace") {
      if (!value(f.ns)) return false;
    } else if (a == "--lease-namespace") {
      if (!value(f.leaseNamespace)) return false;
    } else if (a == "--identity") {
      if (!value(f.identity)) return false;
    } else if (a == "--metrics-addr") {
      if (!value(f.metricsAddr)) return false;
    } else if (a == "--cluster-name") {
      if (!value(f.clusterName)) return false;
    } else if (a == "--cleanup-timeout" && value(n)) {
      f.cleanupTimeoutSeconds = std::max(0, std::atoi(n.c_str()));
    } else if (a == "--resolver" && value(n)) {
      f.resolvers.push_back(n);
    } else if (a == "--authoritative-server" && value(n)) {
      f.authoritativeServers.push_back(n);
    } else if (a == "--dkim-grace-period" && value(n)) {
      f.dkimGraceSeconds = std::max(0L, std::atol(n.c_str()));
    } else if (a == "--dnsbl-zone" && value(n)) {
      f.dnsblZones.push_back(n);
    } else if (a == "--health-interval" && value(n)) {
      f.healthIntervalSeconds = std::max(0, std::atoi(n.c_str()));
    } else if (a == "--leader-elect") {
      f.leaderElect = true;
    } else if (a == "--resync" && value(n)) {
      f.resyncSeconds = std::atoi(n.c_str());
    } else if (a == "--workers" && value(n)) {
      f.workers = std::max(1, std::atoi(n.c_str()));
    } else {
      return false;
    }
  }
  return true;
}

std::string defaultIdentity() {
  char host[256] = {0};
  gethostname(host, sizeof host - 1);
  return std::string(host) + "_" + std::to_string(getpid());
}

}  // namespace

int main(int argc, char** argv) {
  Flags flags;
  if (!parseFlags(argc, argv, flags)) return usage();
  if (flags.kubeconfig.empty()) {
    if (const char* env = std::getenv("KUBECONFIG")) flags.kubeconfig = env;
  }
  auto config = flags.kubeconfig.empty() ? kube::inClusterConfig(std::getenv)
                                         : kube::loadKubeconfig(flags.kubeconfig, flags.context);
  if (!config) {
    log::error("no Kubernetes configuration", {{"error", config.error().message}});
    return 2;
  }
  if (flags.identity.empty()) flags.identity = defaultIdentity();
  config->userAgent = "mailroom-operator/0.1 (" + flags.identity + ")";
  if (flags.leaseNamespace.empty()) flags.leaseNamespace = flags.ns.empty() ? "default" : flags.ns;

  metrics::Registry registry;
  kube::HttpTransport transport(*config, &registry);
  kube::Api api(transport);
  kube::SteadyClock clock;
  kube::StopSignal stop;
  kube::Manager manager(api, clock, &registry);
  manager.setLeading(!flags.leaderElect);
  auto wallClock = [] { return std::chrono::system_clock::now(); };
  kube::EventRecorder events(api, "mailroom-operator", wallClock);

  auto& mailDomains =
      manager.informer<api::MailDomain>(controllers::kMailDomains.collectionPath(flags.ns));
  auto& transports =
      manager.informer<api::Transport>(controllers::kTransports.collectionPath(flags.ns));
  asio::io_context io;  // metrics endpoint and the health checks' DNS resolver
  controllers::KubeProviderFactory providers(api);
  auto checker = controllers::CaresHealthChecker::create(io.get_executor(), flags.resolvers,
                                                         std::chrono::seconds(60));
  if (!checker) {
    log::error("DNS resolver", {{"error", checker.error().message}});
    return 2;
  }
  dkimkeys::DnsAuthoritativeChecker authoritative({flags.authoritativeServers, flags.resolvers});
  dkimkeys::DkimManagerOptions dkimOptions;
  dkimOptions.lifecycle.gracePeriod = std::chrono::seconds(flags.dkimGraceSeconds);
  dkimkeys::DkimKeyManager dkimKeys(api, authoritative, dkimOptions);
  controllers::MailDomainController mailDomainController(
      api, mailDomains, transports, events, providers, **checker, dkimKeys, wallClock,
      {flags.clusterName,
       300,
       std::chrono::seconds(flags.cleanupTimeoutSeconds),
       std::chrono::seconds(flags.healthIntervalSeconds),
       {flags.dnsblZones}});
  mailDomainController.wire(manager.controller("maildomain",
                                               [&](const std::string& key) {
                                                 return mailDomainController.reconcile(key);
                                               }),
                            mailDomains, transports);

  auto& configMaps = manager.informer<kube::Unstructured>(
      kube::ResourceRef{"", "v1", "configmaps"}.collectionPath(flags.ns),
      controllers::TransportController::configMapSelector());
  auto& secrets = manager.informer<kube::Unstructured>(
      kube::ResourceRef{"", "v1", "secrets"}.collectionPath(flags.ns),
      controllers::TransportController::secretSelector());
  controllers::TransportController transportController(api, transports, configMaps, secrets, events,
                                                       wallClock);
  transportController.wire(
      manager.controller(
          "transport", [&](const std::string& key) { return transportController.reconcile(key); }),
      transports, configMaps, secrets);

  std::unique_ptr<metrics::HttpEndpoint> endpoint;
  if (!flags.metricsAddr.empty()) {
    auto ep = metrics::HttpEndpoint::start(io.get_executor(), flags.metricsAddr, registry,
                                           [&] { return manager.synced(); });
    if (!ep) {
      log::error("metrics endpoint", {{"error", ep.error().message}});
      return 2;
    }
    endpoint = std::move(ep).value();
    log::info("metrics listening", {{"port", static_cast<int>(endpoint->port())}});
  }
  auto shutdown = [&] {
    stop.stop();
    transport.cancel();
    if (endpoint) endpoint->stop();
    io.stop();
  };
  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int sig) {
    if (ec) return;
    log::info("shutting down", {{"signal", sig}});
    shutdown();
  });
  auto guard = asio::make_work_guard(io);
  std::thread ioThread([&] { io.run(); });

  std::thread electorThread;
  kube::LeaderElector elector(
      api,
      {flags.leaseNamespace, "mailroom-operator", flags.identity, std::chrono::seconds(15),
       std::chrono::seconds(10), std::chrono::seconds(2)},
      clock);
  if (flags.leaderElect) {
    electorThread = std::thread([&] {
      elector.run(
          stop, [&] { manager.setLeading(true); },
          [&] {
            manager.setLeading(false);
            log::error("exiting: leadership lost");
            std::_Exit(1);
          });
    });
  }
  log::info("mailroom-operator started", {{"server", config->server},
                                          {"namespace", flags.ns.empty() ? "(all)" : flags.ns},
                                          {"leaderElect", flags.leaderElect},
                                          {"identity", flags.identity}});

  manager.run(stop, {flags.workers, std::chrono::seconds(flags.resyncSeconds)});
  if (electorThread.joinable()) electorThread.join();
  guard.reset();
  io.stop();
  ioThread.join();
  log::info("stopped");
  return 0;
}
