// mailroom-operator: reconciles MailDomain objects (operator/controllers) against the
// Kubernetes API (operator/kube).
//   --kubeconfig PATH     default $KUBECONFIG, else in-cluster configuration
//   --context NAME        kubeconfig context (default: current-context)
//   --namespace NS        watch one namespace (default: all)
//   --leader-elect        hold the Lease before reconciling (several replicas)
//   --lease-namespace NS  where the Lease lives (default: --namespace, else "default")
//   --identity ID         the Lease holder identity (default: hostname_pid)
//   --metrics-addr ADDR   /metrics, /healthz, /readyz (default 127.0.0.1:9588; "" disables)
//   --resync SECONDS      periodic re-reconcile of every object (default 600)
//   --workers N           reconcile workers (default 2; one key is never processed twice at once)
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
#include "operator/kube/http_transport.h"
#include "operator/kube/lease.h"

namespace {

using namespace mailroom;

struct Flags {
  std::string kubeconfig, context, ns, leaseNamespace, identity;
  std::string metricsAddr = "127.0.0.1:9588";
  bool leaderElect = false;
  int resyncSeconds = 600, workers = 2;
};

int usage() {
  std::fprintf(stderr,
               "usage: mailroom-operator [--kubeconfig PATH] [--context NAME] [--namespace NS]\n"
               "  [--leader-elect] [--lease-namespace NS] [--identity ID] [--metrics-addr ADDR]\n"
               "  [--resync SECONDS] [--workers N]\n");
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
  kube::WorkQueue queue(clock);
  kube::StopSignal stop;
  std::atomic<bool> leading{!flags.leaderElect};

  kube::Informer informer(api, {controllers::kMailDomains.collectionPath(flags.ns)},
                          [&](const std::string& key) { queue.add(key); });
  controllers::MailDomainController controller(api, informer.cache(),
                                               [] { return std::chrono::system_clock::now(); });
  registry.describe("mailroom_operator_reconciles_total", "counter",
                    "MailDomain reconciles by outcome");
  registry.gaugeFn("mailroom_operator_leader", [&] { return leading ? 1.0 : 0.0; });
  registry.gaugeFn("mailroom_operator_workqueue_depth", [&] { return double(queue.len()); });

  asio::io_context io;
  std::unique_ptr<metrics::HttpEndpoint> endpoint;
  if (!flags.metricsAddr.empty()) {
    auto ep = metrics::HttpEndpoint::start(io.get_executor(), flags.metricsAddr, registry,
                                           [&] { return informer.synced(); });
    if (!ep) {
      log::error("metrics endpoint", {{"error", ep.error().message}});
      return 2;
    }
    endpoint = std::move(ep).value();
    log::info("metrics listening", {{"port", static_cast<int>(endpoint->port())}});
  }
  auto shutdown = [&] {
    stop.stop();
    queue.shutdown();
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

  std::thread informerThread([&] { informer.run(stop); });
  std::thread electorThread;
  kube::LeaderElector elector(
      api,
      {flags.leaseNamespace, "mailroom-operator", flags.identity, std::chrono::seconds(15),
       std::chrono::seconds(10), std::chrono::seconds(2)},
      clock);
  if (flags.leaderElect) {
    electorThread = std::thread([&] {
      elector.run(
          stop,
          [&] {
            leading = true;
            informer.enqueueAll();  // reconcile everything we skipped while following
          },
          [&] {
            leading = false;
            log::error("exiting: leadership lost");
            std::_Exit(1);
          });
    });
  }
  std::thread resyncThread([&] {
    while (!stop.waitFor(std::chrono::seconds(std::max(1, flags.resyncSeconds)))) {
      informer.enqueueAll();
    }
  });

  std::vector<std::thread> workers;
  for (int i = 0; i < flags.workers; ++i) {
    workers.emplace_back([&] {
      while (!stop.stopped()) {
        if (!leading) {
          stop.waitFor(std::chrono::milliseconds(200));
          continue;
        }
        auto key = queue.get(std::chrono::seconds(1));
        if (!key) continue;
        if (!leading) {  // lost it while waiting: leave the key for the next leader
          queue.done(*key);
          continue;
        }
        kube::Action action = controller.reconcile(*key);
        registry.inc(
            "mailroom_operator_reconciles_total",
            {{"outcome", action.kind == kube::Action::Kind::kRetryWithBackoff ? "error" : "ok"}});
        kube::applyAction(queue, *key, action);
        queue.done(*key);
      }
    });
  }
  log::info("mailroom-operator started", {{"server", config->server},
                                          {"namespace", flags.ns.empty() ? "(all)" : flags.ns},
                                          {"leaderElect", flags.leaderElect},
                                          {"identity", flags.identity}});

  for (auto& w : workers) w.join();
  resyncThread.join();
  informerThread.join();
  if (electorThread.joinable()) electorThread.join();
  guard.reset();
  io.stop();
  ioThread.join();
  log::info("stopped");
  return 0;
}
