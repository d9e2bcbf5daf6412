// mailroom-sidecar: accepts mail over gRPC on loopback, spools it durably, delivers it over
// SMTP. Usage: mailroom-sidecar --config sidecar.yaml [--check]
//   --check   validate the config file and exit (0 valid, 2 invalid)
// SIGHUP reloads the config file; a broken file keeps the previous config in force.
#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <memory>
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
         a.spoolDirectory == b.spoolDirectory && a.resolvers == b.resolvers;
}

std::string joined(const std::vector<std::string>& items, const char* separator) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) out += (i ? separator : "") + items[i];
  return out;
}

// Loads the config and holds it against what this build supports: a relay transport is an
// error (nothing would deliver its mail), fields read but not enforced yet get one warning.
Result<sidecarconfig::SidecarConfig> loadSupported(const std::string& path) {
  auto loaded = sidecarconfig::loadConfig(path);
  if (!loaded.ok()) return loaded;
  auto support = sidecarconfig::sidecarSupport(*loaded);
  if (!support.refused.empty())
    return Error::invalidArgument(path + ": " + joined(support.refused, "; "));
  if (!support.unenforced.empty())
    log::warn("config fields are read but not enforced by this sidecar build yet (docs/config.md)",
              {{"file", path}, {"fields", joined(support.unenforced, ", ")}});
  return loaded;
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
      std::make_shared<const sidecarconfig::SidecarConfig>(std::move(loaded.value())));
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
  delivery::Engine engine(io, **spool, **resolver, registry, {.config = cfg});

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
    auto ep = metrics::HttpEndpoint::start(io.get_executor(), cfg->metricsListen, registry,
                                           [] { return true; });
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
             {"queued", static_cast<unsigned long>((*spool)->queueDepth())}});

  asio::signal_set reload(io, SIGHUP);
  std::function<void()> waitReload = [&] {
    reload.async_wait([&](const boost::system::error_code& ec, int) {
      if (ec) return;
      auto next = loadSupported(configPath);
      if (!next.ok()) {
        log::error("config reload failed; the previous config stays in force",
                   {{"error", next.error().message}});
      } else if (!sameStartupSettings(*current.load(), *next)) {
        log::error(
            "config reload: listen, spool and resolver settings need a restart; "
            "the previous config stays in force");
      } else if (next->maxMessageBytes > cfg->maxMessageBytes) {
        // The gRPC server's receive limit was set from the value at start.
        log::error(
            "config reload: spool.maxMessageBytes above its value at start needs a restart; "
            "the previous config stays in force");
      } else {
        auto fresh = signing::MessageSigner::create(next->dkim);
        if (!fresh.ok()) {
          log::error("config reload: DKIM keys failed to load; the previous config stays in force",
                     {{"error", fresh.error().message}});
        } else {
          auto shared =
              std::make_shared<const sidecarconfig::SidecarConfig>(std::move(next.value()));
          current.store(shared);
          engine.setConfig(shared);
          (*signer)->replace(std::move(**fresh));
          log::info("config reloaded", {{"file", configPath}});
        }
      }
      waitReload();
    });
  };
  waitReload();

  // Key files change under a running sidecar (the operator rotates Secrets, kubelet updates the
  // mounted files): poll them; a broken file keeps the previous key and is reported.
  asio::steady_timer keyPoll(io);
  std::function<void()> pollKeys = [&] {
    keyPoll.expires_after(std::chrono::seconds(5));
    keyPoll.async_wait([&](const boost::system::error_code& ec) {
      if (ec) return;
      for (const auto& problem : (*signer)->reloadChangedKeys())
        log::error("DKIM key reload failed", {{"error", problem}});
      pollKeys();
    });
  };
  pollKeys();

  asio::signal_set stop(io, SIGINT, SIGTERM);
  stop.async_wait([&](const boost::system::error_code&, int sig) {
    log::info("shutting down", {{"signal", sig}});
    // Stop taking mail first (in-flight Sends finish: they are acknowledged only once durable).
    server->server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
    engine.stop();
    reload.cancel();
    keyPoll.cancel();
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
