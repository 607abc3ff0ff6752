package io.mcpproxy.core.http;

import io.mcpproxy.core.ListenerSettings;
import io.mcpproxy.core.TlsSettings;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import io.mcpproxy.core.observe.Health;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.NetworkConnectionLimit;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.eclipse.jetty.util.thread.ScheduledExecutorScheduler;
import org.eclipse.jetty.util.thread.Scheduler;
import org.slf4j.LoggerFactory;

/**
 * The HTTP side every proxy shares: a Jetty server with one connector, its own worker pool, JSON-RPC error pages
 * and no version banner.
 */
public final class HttpListener {

    private final Server server;
    private final ServerConnector connector;
    private final QueuedThreadPool threads;
    private final boolean secure;
    /** The timer's thread, the listener's own so that {@link #stop} can wait for it to end. */
    private final ScheduledThreadPoolExecutor timer;

    /**
     * @param name     prefix of the worker and timer thread names
     * @param settings where to bind, the idle timeout of client connections between requests, worker threads,
     *                 the head and body read timeouts, the cap on client connections, TLS
     * @throws IllegalArgumentException when the TLS files cannot be read or used
     */
    public HttpListener(String name, ListenerSettings settings) {
        this.secure = settings.tls() != null;
        this.threads = new QueuedThreadPool(settings.maxThreads(), 4);
        threads.setName(name);
        threads.setDaemon(true);
        // The proxy's one timer: Jetty's idle timeouts, and the proxy's keep-alives, sweeps and request timeouts.
        // Cancelled tasks leave its queue at once: request timeouts are armed and cancelled thousands of times a second.
        this.timer = new ScheduledThreadPoolExecutor(1, runnable -> {
            Thread thread = new Thread(runnable, name + "-timer");
            thread.setDaemon(true);
            return thread;
        });
        timer.setRemoveOnCancelPolicy(true);
        this.server = new Server(threads, new ScheduledExecutorScheduler(timer), null);
        // The handler tree is fixed before start, so Jetty may trust its invocation type: a tree that never
        // blocks is then run on the selector thread that read the request, without a hand-off to a worker.
        server.setDynamic(false);
        HttpConfiguration http = new HttpConfiguration();
        http.setSendServerVersion(false);
        http.setSendDateHeader(false);
        TimedHttpConnectionFactory http1 = new TimedHttpConnectionFactory(http, settings.headerTimeout(),
                settings.bodyTimeout());
        TlsSettings tls = settings.tls();
        if (tls == null) {
            this.connector = new ServerConnector(server, 1, 1, http1);
        } else {
            SslContextFactory.Server contextFactory = TlsReloader.contextFactory(tls);
            SecureRequestCustomizer secure = new SecureRequestCustomizer();
            secure.setSniHostCheck(false); // Host checks are the RequestGuard's, whatever names the certificate has
            http.addCustomizer(secure);
            this.connector = new ServerConnector(server, 1, 1,
                    new SslConnectionFactory(contextFactory, http1.getProtocol()), http1);
            server.addBean(new TlsReloader(tls, contextFactory, server.getScheduler()));
        }
        connector.setHost(settings.host());
        connector.setPort(settings.port());
        connector.setIdleTimeout(settings.idleTimeout().toMillis());
        server.addConnector(connector);
        // Past the cap the connector stops accepting: further clients wait in the kernel's accept queue.
        server.addBean(new NetworkConnectionLimit(settings.maxClientConnections(), connector));
        server.setErrorHandler(new JsonErrorHandler());
    }

    public void handler(Handler handler) {
        server.setHandler(handler);
    }

    /** Worker threads, for blocking work off I/O threads. */
    public Executor executor() {
        return threads;
    }

    public Server server() {
        return server;
    }

    /**
     * Tasks waiting in the timer's queue: the requests in flight's timeouts, the periodic rounds, the connections'
     * idle timeouts. A cancelled task leaves the queue at once, so this stays small under any load (diagnostics).
     */
    public int queuedTimerTasks() {
        return timer.getQueue().size();
    }

    /** The proxy's one timer, started and stopped with the server. */
    public Scheduler scheduler() {
        return server.getScheduler();
    }

    public void start() throws Exception {
        server.start();
    }

    public boolean isRunning() {
        return server.isStarted() || server.isStarting();
    }

    /** Whether the server runs and its connector accepts connections (not yet stopped or draining). */
    public boolean isAccepting() {
        return server.isStarted() && connector.isOpen();
    }

    /** The readiness check {@code listening}: up while {@link #isAccepting}. */
    public Health.Check listeningCheck() {
        return isAccepting() ? Health.Check.up("listening", uri("").toString())
                : Health.Check.down("listening", "not accepting connections");
    }

    /** Stops accepting connections; open ones may finish their requests. */
    public void stopAccepting() {
        connector.close();
    }

    /**
     * Stops the server (gracefully for its stop timeout, see {@link Server#setStopTimeout}) and waits for its
     * threads to end; a failure is reported, not thrown.
     */
    public void stop() {
        try {
            server.stop();
        } catch (Exception e) {
            LoggerFactory.getLogger(HttpListener.class).warn("HTTP listener did not stop cleanly: {}", e.toString());
        }
        timer.shutdownNow();
        try {
            timer.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    public int port() {
        return connector.getLocalPort();
    }

    /** {@code http://host:port<path>} as bound ({@code https} with TLS). */
    public URI uri(String path) {
        String host = connector.getHost();
        return URI.create((secure ? "https://" : "http://") + (host.contains(":") ? "[" + host + "]" : host) + ":"
                + port() + path);
    }

    /** Whether {@code host} names a loopback address (Host checks default to loopback names then). */
    public static boolean isLoopback(String host) {
        try {
            return InetAddress.getByName(host).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }
}
