package io.mcpproxy.runner;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Blocks the main thread until SIGTERM/SIGINT, then runs the shutdown and exits 0.
 *
 * <p>The JVM runs shutdown hooks on SIGTERM but then exits with 143; a service manager should see a clean stop,
 * so the hook halts with 0 once the proxy has drained. Exits the runner starts itself (errors) never pass here.
 */
final class GracefulShutdown {

    private GracefulShutdown() {
    }

    /** Something to start, and to stop on a signal. */
    interface Service {
        void start() throws Exception;

        /** Idempotent; also called when start fails. */
        void stop();
    }

    /**
     * Starts {@code service}, prints the URLs it serves on stdout (logs go to stderr), then blocks until SIGTERM or
     * SIGINT and stops it; or stops it and rethrows when it does not start.
     */
    static int serve(Service service, java.util.function.Supplier<java.util.List<java.net.URI>> urls)
            throws Exception {
        try {
            service.start();
        } catch (Exception e) {
            service.stop();
            throw e;
        }
        urls.get().forEach(System.out::println);
        System.out.flush();
        awaitSignal(service::stop);
        return 0;
    }

    static void awaitSignal(Runnable shutdown) throws InterruptedException {
        CountDownLatch stopped = new CountDownLatch(1);
        AtomicBoolean ran = new AtomicBoolean();
        Thread hook = new Thread(() -> {
            if (ran.compareAndSet(false, true)) {
                try {
                    shutdown.run();
                } finally {
                    stopped.countDown();
                    LogSetup.flush();
                    System.err.flush();
                    Runtime.getRuntime().halt(0);
                }
            }
        }, "mcp-proxy-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        stopped.await(); // released only by the hook; the JVM exits from there
    }
}
