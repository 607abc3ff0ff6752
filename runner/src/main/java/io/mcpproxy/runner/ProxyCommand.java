package io.mcpproxy.runner;

import io.mcpproxy.core.observe.Health;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.eclipse.jetty.server.Server;
import java.util.concurrent.Callable;

/**
 * A subcommand that serves a proxy: {@link #build} turns the flags into a proxy (a refused value is a usage error,
 * reported before anything starts), {@link #call} builds it, starts it, prints its URLs and serves until SIGTERM.
 */
interface ProxyCommand extends Callable<Integer> {

    /** A built proxy, not started yet, with what it serves on and what else to close with it. */
    interface Built extends AutoCloseable {
        void start() throws Exception;

        /** The URLs printed once it serves. */
        List<URI> urls();

        /** The proxy's readiness checks (see {@code proxy.health()}). */
        Health health();

        /** The proxy's Jetty server (its request log, its worker pool), before it starts. */
        Server server();

        /** Stops the proxy and closes what the command opened for it (a Redis storage); idempotent. */
        @Override
        void close();

        /** What a proxy's start throws. */
        @FunctionalInterface
        interface Start {
            void run() throws Exception;
        }

        /** A built proxy told by its parts. */
        record Of(Start starter, Supplier<List<URI>> urlList, Supplier<Health> checks, Server server,
                  Runnable closer) implements Built {
            @Override
            public void start() throws Exception {
                starter.run();
            }

            @Override
            public List<URI> urls() {
                return urlList.get();
            }

            @Override
            public Health health() {
                return checks.get();
            }

            @Override
            public void close() {
                closer.run();
            }
        }
    }

    /**
     * The proxy the flags describe, built but not started.
     *
     * @throws picocli.CommandLine.ParameterException for a value a settings record refuses
     */
    Built build();

    /** The flags of the admin listener and the logs. */
    OperationsOptions operations();

    /**
     * Builds the proxy (the log format applied first, so that every line has it), adds the access log and the admin
     * listener when asked for, starts them and serves until SIGTERM. The admin listener's URL is printed after the
     * proxy's.
     */
    @Override
    default Integer call() throws Exception {
        OperationsOptions operations = operations();
        try {
            LogSetup.apply(operations.settings().logFormat());
        } catch (IllegalArgumentException refused) {
            // build() reports it as a usage error
        }
        Built proxy = build();
        OperationsSettings settings = operations.settings();
        if (settings.accessLog()) {
            proxy.server().setRequestLog(new AccessLog(settings.logFormat()));
        }
        AdminServer admin = settings.adminListener() ? new AdminServer(settings, operations.registry(),
                proxy.server().getThreadPool(), proxy::health) : null;
        return GracefulShutdown.serve(new GracefulShutdown.Service() {
            @Override
            public void start() throws Exception {
                proxy.start();
                if (admin != null) {
                    admin.start();
                }
            }

            @Override
            public void stop() {
                if (admin != null) {
                    admin.close();
                }
                proxy.close();
            }
        }, () -> {
            List<URI> urls = new ArrayList<>(proxy.urls());
            if (admin != null) {
                urls.add(admin.uri());
            }
            return urls;
        });
    }
}
