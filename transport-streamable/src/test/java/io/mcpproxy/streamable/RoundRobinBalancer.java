package io.mcpproxy.streamable;

import io.mcpproxy.core.forward.ForwardedExchange;
import io.mcpproxy.core.forward.Forwarder;
import io.mcpproxy.core.forward.UpstreamClients;
import io.mcpproxy.core.forward.UpstreamPoolSettings;
import java.net.URI;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.Invocable;

/**
 * A plain round-robin HTTP load balancer for tests: every request goes to the next target in turn, with no
 * stickiness of any kind (what a cloud load balancer or a Kubernetes Service does to a session's requests).
 */
final class RoundRobinBalancer implements AutoCloseable {

    private final List<URI> targets;
    private final AtomicInteger next = new AtomicInteger();
    private final Server server = new Server();
    private final ServerConnector connector = new ServerConnector(server);
    private final HttpClient client;
    private final Forwarder forwarder;

    RoundRobinBalancer(List<URI> targets) throws Exception {
        this.targets = List.copyOf(targets);
        this.client = UpstreamClients.newClient("balancer", UpstreamPoolSettings.DEFAULTS,
                Invocable.InvocationType.BLOCKING);
        this.forwarder = new Forwarder(client, UpstreamPoolSettings.DEFAULTS);
        connector.setHost("127.0.0.1");
        connector.setPort(0);
        server.addConnector(connector);
        server.setHandler(new Handler.Abstract() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) {
                URI target = RoundRobinBalancer.this.targets.get(
                        Math.floorMod(next.getAndIncrement(), RoundRobinBalancer.this.targets.size()));
                Content.Source.asByteArrayAsync(request, 16 * 1024 * 1024).whenComplete((body, failure) -> {
                    if (failure != null) {
                        callback.failed(failure);
                    } else {
                        new ForwardedExchange(forwarder, request, response, callback,
                                body.length == 0 ? null : body, target).send();
                    }
                });
                return true;
            }
        });
        client.start();
        server.start();
    }

    URI uri() {
        return URI.create("http://127.0.0.1:" + connector.getLocalPort());
    }

    @Override
    public void close() throws Exception {
        server.stop();
        client.stop();
    }
}
