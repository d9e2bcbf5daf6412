// mailroom-sidecar: accepts mail over gRPC on loopback, spools it durably, delivers it over
// SMTP. Usage: mailroom-sidecar --config sidecar.yaml [--check]
//   --check   validate the config file and exit (0 valid, 2 invalid)
// The config file and the DKIM key files are reloaded when they change on disk (inotify on their
// directories: the kubelet's `..data` swap of a ConfigMap/Secret volume, or a plain rewrite) and
// on SIGHUP; a broken file keeps the previous config in force. Each reload that changes the
// content is a new config generation (metrics, log, probes).
#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>

#include <absl/synchronization/mutex.h>

#include "lib/common/asio.h"
#include "lib/dns/cares_resolver.h"
#include "lib/log/log.h"
#include "lib/metrics/metrics.h"
#include "lib/sidecarconfig/config.h"
#include "lib/sidecarconfig/parse.h"
#include "lib/sidecarconfig/support.h"
#include "sidecar/configwatch/generation.h"
#include "sidecar/configwatch/readiness.h"
#include "sidecar/configwatch/watcher.h"
#include "sidecar/delivery/engine.h"
#include "sidecar/grpc/sender_service.h"
#include "sidecar/signing/signing.h"
#include "sidecar/spool/spool.h"

using namespace mailroom;

namespace {

int usage() {
  std::fprintf(stderr, "usage: mailroom-sidecar --config FILE [--check]\n");
  return 2;
}

// Settings that cannot change without a restart (sockets and the spool are open).
bool sameStartupSettings(const sidecarconfig::SidecarConfig& a,
                         const sidecarconfig::SidecarConfig& b) {
  return a.grpcListen == b.grpcListen && a.metricsListen == b.metricsListen &&
         a.exposeMetrics == b.exposeMetrics && a.spoolDirectory == b.spoolDirectory &&
         a.resolvers == b.resolvers;
}

std::string joined(const std::vector<std::string>& items, const char* separator) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) out += (i ? separator : "") + items[i];
  return out;
}

std::vector<std::filesystem::path> keyFiles(const sidecarconfig::SidecarConfig& config) {
  std::vector<std::filesystem::path> files;
  for (const auto& key : config.dkim.keys) files.emplace_back(key.keyFile);
  return files;
}

struct Loaded {
  sidecarconfig::SidecarConfig config;
  std::string hash;  // configwatch::snapshotHash of the file and its key files
};

// Loads the config and holds it against what this build supports: a relay transport is an
// error (nothing would deliver its mail), fields read but not enforced yet get one warning.
Result<Loaded> loadSupported(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error::invalidArgument(path + ": cannot open");
  std::stringstream bytes;
  bytes << in.rdbuf();
  auto loaded = sidecarconfig::parseConfig(bytes.str(), path);
  if (!loaded.ok()) return loaded.error();
  auto support = sidecarconfig::sidecarSupport(*loaded);
  if (!support.refused.empty())
    return Error::invalidArgument(path + ": " + joined(support.refused, "; "));
  if (!support.unenforced.empty())
    log::warn("config fields are read but not enforced by this sidecar build yet (docs/config.md)",
              {{"file", path}, {"fields", joined(support.unenforced, ", ")}});
  auto hash = configwatch::snapshotHash(bytes.str(), keyFiles(*loaded));
  if (!hash.ok()) return hash.error();
  return Loaded{std::move(loaded.value()), std::move(hash.value())};
}

void describeConfigMetrics(metrics::Registry& registry) {
  registry.describe("mailroom_config_generation", "gauge",
                    "Config generation in force: 1 at start, +1 for each reload that changed the "
                    "config or a DKIM key file.");
  registry.describe("mailroom_config_info", "gauge",
                    "Always 1; the hash label names the content in force (config and key files).");
  registry.describe("mailroom_config_reloads_total", "counter",
                    "Config reloads by result: applied, unchanged (same content), rejected (the "
                    "previous config stays in force).");
}

void publishGeneration(metrics::Registry& registry, const configwatch::Generation& g) {
  registry.set("mailroom_config_generation", {}, static_cast<double>(g.number));
  registry.setOnly("mailroom_config_info", {{"hash", g.hash}}, 1);
}

}  // namespace

int main(int argc, char** argv) {
  // Debian's Abseil is built with assertions, which turns on deadlock detection for every
  // absl::Mutex (all of gRPC's locks): a lock-order graph updated on each acquisition, a
  // debugging aid that cost the sidecar several percent of its CPU under load.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  std::string configPath;
  bool checkOnly = false;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--config") && i + 1 < argc)
      configPath = argv[++i];
    else if (!std::strcmp(argv[i], "--check"))
      checkOnly = true;
    else
      return usage();
  }
  if (configPath.empty()) return usage();

  auto loaded = loadSupported(configPath);
  if (!loaded.ok()) {
    std::fprintf(stderr, "mailroom-sidecar: %s\n", loaded.error().message.c_str());
    return 2;
  }
  if (checkOnly) {
    std::printf("%s: ok\n", configPath.c_str());
    return 0;
  }
  std::atomic<std::shared_ptr<const sidecarconfig::SidecarConfig>> current(
      std::make_shared<const sidecarconfig::SidecarConfig>(std::move(loaded->config)));
  configwatch::Generation generation = configwatch::advance({}, loaded->hash);
  auto cfg = current.load();

  auto spool = spool::Spool::open({.dir = cfg->spoolDirectory});
  if (!spool.ok()) {
    log::error("cannot open spool",
               {{"dir", cfg->spoolDirectory.string()}, {"error", spool.error().message}});
    return 1;
  }

  asio::io_context io;
  dns::CaresOptions resolverOptions;
  resolverOptions.servers = cfg->resolvers;
  resolverOptions.timeout = cfg->dnsTimeout;
  resolverOptions.tries = cfg->dnsTries;
  auto resolver = dns::CaresResolver::create(io.get_executor(), resolverOptions);
  if (!resolver.ok()) {
    log::error("cannot start the DNS resolver", {{"error", resolver.error().message}});
    return 1;
  }

  auto signer = signing::MessageSigner::create(cfg->dkim);
  if (!signer.ok()) {
    log::error("cannot load DKIM keys", {{"error", signer.error().message}});
    return 1;
  }

  metrics::Registry registry;
  describeConfigMetrics(registry);
  publishGeneration(registry, generation);
  std::atomic<bool> stopping = false;
  delivery::Engine engine(io, **spool, **resolver, registry,
                          {.config = cfg, .stateDirectory = cfg->spoolDirectory / "state"});

  asio::thread_pool signingPool(std::max(2u, std::thread::hardware_concurrency()));
  grpcapi::Intake intake(
      {.spool = **spool,
       .metrics = registry,
       .config = [&] { return current.load(); },
       .accepted = [&](const std::string& id) { engine.enqueue(id); },
       .sign = [&](const std::string& message,
                   const std::string& fromDomain) -> Result<grpcapi::Signature> {
         auto s = (*signer)->sign(message, fromDomain, spool::Clock::now());
         if (!s.ok()) return s.error();
         return grpcapi::Signature{std::move(s->headers), std::move(s->note)};
       },
       .signs = [&](const std::string& fromDomain) { return (*signer)->hasKeyFor(fromDomain); },
       .offload = [&](std::function<void()> fn) { asio::post(signingPool, std::move(fn)); }});
  grpcapi::SenderService service(intake);
  auto server = grpcapi::startServer(cfg->grpcListen, service, cfg->maxMessageBytes);
  if (!server.ok()) {
    log::error("cannot start the gRPC server", {{"error", server.error().message}});
    return 1;
  }

  std::unique_ptr<metrics::HttpEndpoint> metricsEndpoint;
  if (!cfg->metricsListen.empty()) {
    // Runs on the io thread, as do reloads: `generation` and `current` are read there.
    metrics::Probes probes{.notReadyReason =
                               [&] {
                                 const auto c = current.load();
                                 return configwatch::notReadyReason(
                                     configwatch::spoolSpace(c->spoolDirectory), c->maxMessageBytes,
                                     stopping.load());
                               },
                           .detail =
                               [&] {
                                 return "config generation " + std::to_string(generation.number) +
                                        " (" + generation.hash + ")";
                               }};
    auto ep = metrics::HttpEndpoint::start(io.get_executor(), cfg->metricsListen, registry,
                                           std::move(probes));
    if (!ep.ok()) {
      log::error("cannot start the metrics endpoint", {{"error", ep.error().message}});
      return 1;
    }
    metricsEndpoint = std::move(ep.value());
  }

  engine.start();
  std::string ports;
  for (size_t i = 0; i < cfg->grpcListen.size(); ++i)
    ports += (i ? "," : "") + cfg->grpcListen[i] + "=" + std::to_string(server->boundPorts[i]);
  log::info("mailroom-sidecar started",
            {{"grpc", ports},
             {"spool", cfg->spoolDirectory.string()},
             {"metrics", metricsEndpoint ? std::to_string(metricsEndpoint->port()) : "off"},
             {"queued", static_cast<unsigned long>((*spool)->queueDepth())},
             {"generation", static_cast<unsigned long>(generation.number)},
             {"hash", generation.hash}});

  std::unique_ptr<configwatch::Watcher> watcher;
  // The one reload path (SIGHUP, a change on disk, the fallback poll). Runs on the io thread.
  auto reloadNow = [&](const std::string& trigger, const std::string& changed) {
    auto rejected = [&](const std::string& error) {
      registry.inc("mailroom_config_reloads_total", {{"result", "rejected"}});
      log::error("config reload failed; the previous config stays in force",
                 {{"error", error},
                  {"trigger", trigger},
                  {"changed", changed},
                  {"generation", static_cast<unsigned long>(generation.number)},
                  {"hash", generation.hash}});
    };
    auto next = loadSupported(configPath);
    if (!next.ok()) return rejected(next.error().message);
    if (!sameStartupSettings(*current.load(), next->config))
      return rejected("listen, spool and resolver settings need a restart");
    if (next->config.maxMessageBytes > cfg->maxMessageBytes)  // the gRPC receive limit is fixed
      return rejected("spool.maxMessageBytes above its value at start needs a restart");
    const auto nextGeneration = configwatch::advance(generation, next->hash);
    if (nextGeneration == generation) {
      registry.inc("mailroom_config_reloads_total", {{"result", "unchanged"}});
      log::info("config unchanged", {{"trigger", trigger}, {"hash", generation.hash}});
      return;
    }
    auto fresh = signing::MessageSigner::create(next->config.dkim);
    if (!fresh.ok()) return rejected("DKIM keys failed to load: " + fresh.error().message);
    auto shared = std::make_shared<const sidecarconfig::SidecarConfig>(std::move(next->config));
    current.store(shared);
    engine.setConfig(shared);
    (*signer)->replace(std::move(**fresh));
    generation = nextGeneration;
    publishGeneration(registry, generation);
    registry.inc("mailroom_config_reloads_total", {{"result", "applied"}});
    if (watcher) {
      if (auto r = watcher->setPlan(configwatch::watchPlan(configPath, keyFiles(*shared))); !r.ok())
        log::warn("config watch: cannot follow the new key files (SIGHUP still reloads)",
                  {{"error", r.error().message}});
    }
    log::info("config reloaded", {{"file", configPath},
                                  {"trigger", trigger},
                                  {"changed", changed},
                                  {"generation", static_cast<unsigned long>(generation.number)},
                                  {"hash", generation.hash}});
  };

  asio::signal_set reload(io, SIGHUP);
  std::function<void()> waitReload = [&] {
    reload.async_wait([&](const boost::system::error_code& ec, int) {
      if (ec) return;
      reloadNow("SIGHUP", "");
      waitReload();
    });
  };
  waitReload();

  // Files change under a running sidecar (the kubelet swaps the mounted ConfigMap and Secret,
  // a person edits the file): watch their directories and reload once per burst of changes.
  auto watched = configwatch::Watcher::create(
      io.get_executor(), configwatch::watchPlan(configPath, keyFiles(*cfg)),
      std::chrono::milliseconds(250), [&](std::vector<std::filesystem::path> changed) {
        std::vector<std::string> names;
        for (const auto& p : changed) names.push_back(p.string());
        reloadNow("file change", joined(names, ","));
      });
  // Without inotify (exhausted watches, odd file systems) fall back to a poll that reloads when
  // the content's hash moves; the same reload path decides.
  asio::steady_timer poll(io);
  std::string lastPolled = generation.hash;
  std::function<void()> pollFiles = [&] {
    poll.expires_after(std::chrono::seconds(5));
    poll.async_wait([&](const boost::system::error_code& ec) {
      if (ec) return;
      std::ifstream in(configPath, std::ios::binary);
      std::stringstream bytes;
      bytes << in.rdbuf();
      auto hash = configwatch::snapshotHash(bytes.str(), keyFiles(*current.load()));
      if (hash.ok() && *hash != lastPolled) {
        lastPolled = *hash;
        reloadNow("poll", "");
      }
      pollFiles();
    });
  };
  if (watched.ok()) {
    watcher = std::move(watched.value());
  } else {
    log::warn("config watch unavailable; polling the files every 5s",
              {{"error", watched.error().message}});
    pollFiles();
  }

  asio::signal_set stop(io, SIGINT, SIGTERM);
  stop.async_wait([&](const boost::system::error_code&, int sig) {
    log::info("shutting down", {{"signal", sig}});
    // Stop taking mail first (in-flight Sends finish: they are acknowledged only once durable).
    server->server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
    stopping = true;
    engine.stop();
    reload.cancel();
    poll.cancel();
    if (watcher) watcher->stop();
    if (metricsEndpoint) metricsEndpoint->stop();
    asio::post(io, [&] { io.stop(); });
  });

  io.run();
  signingPool.join();
  // Close the spool while everything its completions call (intake, engine, io) still exists:
  // the last batches are flushed and answered, and the journal is drained into files.
  spool->reset();
  log::info("mailroom-sidecar stopped");
  return 0;
}
