package io.mcpproxy.benchmarks;

import io.mcpproxy.transparent.TransparentProxy;
import java.net.URI;
import java.nio.ByteBuffer;
import org.eclipse.jetty.client.BufferingResponseListener;
import org.eclipse.jetty.client.BytesRequestContent;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.Result;
import org.eclipse.jetty.client.transport.HttpClientTransportOverHTTP;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.ClientConnector;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.Invocable.InvocationType;

/**
 * The floor of the transparent proxy's stack (benchmarks/transparent/run.sh; results in BENCHMARKS.md): a Jetty
 * server that forwards every request with jetty-client and nothing else: no sessions, no header rules, no
 * forwarding headers, no streaming (each response is buffered whole, which the benchmark's one-chunk answers
 * allow). Configured as the transparent proxy is: one acceptor, one server selector, non-blocking handling on the
 * selector threads, {@code UPSTREAM_IO_THREADS} client selectors (default: the proxy's default), a pool of 64
 * upstream connections.
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar io.mcpproxy.benchmarks.BareJettyForwarder PORT TARGET [UPSTREAM_IO_THREADS]
 * </pre>
 *
 * <p>TARGET is the upstream's scheme, host and port; the client's path and query are kept. Binds 127.0.0.1 only.
 */
public final class BareJettyForwarder {

    public static void main(String[] args) throws Exception {
        if (args.length < 2) {
            System.err.println("usage: BareJettyForwarder PORT TARGET [UPSTREAM_IO_THREADS]");
            System.exit(2);
        }
        int port = Integer.parseInt(args[0]);
        URI target = URI.create(args[1]);
        ClientConnector connector = new ClientConnector();
        connector.setSelectors(args.length > 2 ? Integer.parseInt(args[2])
                : TransparentProxy.DEFAULT_UPSTREAM_IO_THREADS);
        HttpClientTransportOverHTTP transport = new HttpClientTransportOverHTTP(connector);
        transport.setInvocationType(InvocationType.NON_BLOCKING);
        HttpClient client = new HttpClient(transport);
        client.setMaxConnectionsPerDestination(64);
        client.start();

        Server server = ProxyLikeJettyServer.start(port,
                new Forward(client, target.getScheme() + "://" + target.getRawAuthority()));
        System.out.println("bare Jetty forwarder on 127.0.0.1:" + port + " -> " + target);
        server.join();
    }

    private static final class Forward extends Handler.Abstract {
        private final HttpClient client;
        private final String origin;

        Forward(HttpClient client, String origin) {
            super(InvocationType.NON_BLOCKING);
            this.client = client;
            this.origin = origin;
        }

        @Override
        public boolean handle(Request clientToProxyRequest, Response proxyToClientResponse, Callback callback) {
            Content.Source.asByteArrayAsync(clientToProxyRequest, 1 << 20).whenComplete((body, failure) -> {
                if (failure != null) {
                    callback.failed(failure);
                    return;
                }
                String query = clientToProxyRequest.getHttpURI().getQuery();
                var proxyToServerRequest = client.newRequest(origin + clientToProxyRequest.getHttpURI().getPath()
                        + (query == null ? "" : "?" + query)).method(clientToProxyRequest.getMethod());
                proxyToServerRequest.headers(headers -> {
                    for (HttpField field : clientToProxyRequest.getHeaders()) {
                        HttpHeader header = field.getHeader();
                        if (header != HttpHeader.HOST && header != HttpHeader.CONNECTION
                                && header != HttpHeader.CONTENT_LENGTH) {
                            headers.add(field);
                        }
                    }
                });
                if (body.length > 0) {
                    proxyToServerRequest.body(new BytesRequestContent(
                            clientToProxyRequest.getHeaders().get(HttpHeader.CONTENT_TYPE), body));
                }
                proxyToServerRequest.send(new BufferingResponseListener() {
                    @Override
                    public void onComplete(Result result) {
                        if (result.isFailed()) {
                            callback.failed(result.getFailure());
                            return;
                        }
                        proxyToClientResponse.setStatus(result.getResponse().getStatus());
                        String type = result.getResponse().getHeaders().get(HttpHeader.CONTENT_TYPE);
                        if (type != null) {
                            proxyToClientResponse.getHeaders().put(HttpHeader.CONTENT_TYPE, type);
                        }
                        proxyToClientResponse.write(true, ByteBuffer.wrap(getContent()), callback);
                    }
                });
            });
            return true;
        }
    }
}
