package io.mcpproxy.benchmarks;

import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * The Jetty server the benchmark's reference forwarders stand on, configured as the transparent proxy configures
 * its own: one acceptor, one selector, no Server or Date header, on 127.0.0.1 only.
 */
final class ProxyLikeJettyServer {
    private ProxyLikeJettyServer() {
    }

    /** Starts it on {@code port} with {@code handler}; the caller joins it. */
    static Server start(int port, Handler handler) throws Exception {
        Server server = new Server(new QueuedThreadPool(200, 4));
        server.setDynamic(false);
        ServerConnector listener = new ServerConnector(server, 1, 1, new HttpConnectionFactory(httpConfiguration()));
        listener.setHost("127.0.0.1");
        listener.setPort(port);
        server.addConnector(listener);
        server.setHandler(handler);
        server.start();
        return server;
    }

    static HttpConfiguration httpConfiguration() {
        HttpConfiguration http = new HttpConfiguration();
        http.setSendServerVersion(false);
        http.setSendDateHeader(false);
        return http;
    }
}
