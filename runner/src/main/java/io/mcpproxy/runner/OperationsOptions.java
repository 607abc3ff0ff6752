package io.mcpproxy.runner;

import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import picocli.CommandLine.Option;

/** Flags of {@link OperationsSettings}, for every serving subcommand; holds the meter registry they ask for. */
final class OperationsOptions {

    @Option(names = "--admin-port",
            description = "Port of the admin listener: /metrics (Prometheus), /healthz, /readyz; 0 = any free port."
                    + " Default: no admin listener.")
    Integer adminPort;

    @Option(names = "--admin-host", description = "Address the admin listener binds (default: ${DEFAULT-VALUE}).")
    String adminHost;

    @Option(names = "--log-format", paramLabel = "text|json",
            description = "Log lines on stderr: text, or json (one object per line) (default: ${DEFAULT-VALUE}).")
    String logFormat;

    @Option(names = "--access-log", description = "One log line per HTTP exchange (logger io.mcpproxy.access).")
    boolean accessLog;

    private PrometheusMeterRegistry registry;

    /** @throws IllegalArgumentException for a value the record refuses */
    OperationsSettings settings() {
        return OperationsSettings.DEFAULTS.withAdmin(adminHost, adminPort).withLogs(logFormat, accessLog);
    }

    /** The registry the proxy records into and /metrics shows; null without an admin listener (no metrics). */
    PrometheusMeterRegistry registry() {
        if (registry == null && settings().adminListener()) {
            registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
            // Before any meter is registered (a later filter misses those and Micrometer warns): two of
            // ProcessorMetrics' names break Prometheus naming rules (promtool check metrics)
            registry.config().meterFilter(MeterFilter.deny(id -> id.getName().equals("process.cpu.time")
                    || id.getName().equals("system.cpu.count")));
        }
        return registry;
    }
}
