package io.mcpproxy.runner;

import java.net.URI;
import java.util.List;
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

        /** Stops the proxy and closes what the command opened for it (a Redis storage); idempotent. */
        @Override
        void close();
    }

    /**
     * The proxy the flags describe, built but not started.
     *
     * @throws picocli.CommandLine.ParameterException for a value a settings record refuses
     */
    Built build();

    @Override
    default Integer call() throws Exception {
        Built proxy = build();
        return GracefulShutdown.serve(new GracefulShutdown.Service() {
            @Override
            public void start() throws Exception {
                proxy.start();
            }

            @Override
            public void stop() {
                proxy.close();
            }
        }, proxy::urls);
    }
}
