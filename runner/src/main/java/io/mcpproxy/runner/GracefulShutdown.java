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

    static void awaitSignal(Runnable shutdown) throws InterruptedException {
        CountDownLatch stopped = new CountDownLatch(1);
        AtomicBoolean ran = new AtomicBoolean();
        Thread hook = new Thread(() -> {
            if (ran.compareAndSet(false, true)) {
                try {
                    shutdown.run();
                } finally {
                    stopped.countDown();
                    System.err.flush();
                    Runtime.getRuntime().halt(0);
                }
            }
        }, "mcp-proxy-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        stopped.await(); // released only by the hook; the JVM exits from there
    }
}
