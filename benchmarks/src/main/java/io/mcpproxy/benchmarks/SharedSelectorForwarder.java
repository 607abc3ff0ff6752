package io.mcpproxy.benchmarks;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.SelectableChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicReference;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.AbstractConnection;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.io.ManagedSelector;
import org.eclipse.jetty.io.SelectorManager;
import org.eclipse.jetty.io.SocketChannelEndPoint;
import org.eclipse.jetty.server.ConnectionFactory;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.internal.HttpConnection;
import org.eclipse.jetty.util.BufferUtil;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.Invocable.InvocationType;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.eclipse.jetty.util.thread.Scheduler;

/**
 * What the Jetty server can reach with an upstream client of our own instead of jetty-client
 * (benchmarks/transparent/ceiling.sh; results in BENCHMARKS.md): a Jetty server configured as the proxy's, whose
 * upstream connections are minimal HTTP/1.1 client connections of this class registered on the server connector's
 * own selector, so that reading a request, forwarding it, reading the answer and writing it back all happen on
 * the one selector thread. Jetty resumes a server connection whose response completed on another thread by handing
 * it to a worker; this forwarder runs that resumption inline instead (its connector executor), so that the exchange
 * never changes threads.
 *
 * <p>Not a proxy anyone should run: the upstream must answer with {@code Content-Length} (the benchmark's upstream
 * answers nothing else) within {@value #BUFFER_BYTES} bytes; no header rules beyond dropping hop-by-hop ones; a
 * failed upstream connection fails its exchange (Jetty answers 500) unless nothing came back on it yet, in which
 * case the exchange is tried once more on a new connection; upstream connections are opened with a blocking
 * connect. Binds 127.0.0.1 only.
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar io.mcpproxy.benchmarks.SharedSelectorForwarder PORT TARGET
 * </pre>
 *
 * <p>TARGET is the upstream's scheme, host and port (http only); the client's path and query are kept.
 */
public final class SharedSelectorForwarder {
    static final int BUFFER_BYTES = 64 * 1024;

    private final InetSocketAddress upstream;
    private final String upstreamAuthority;
    private final ConcurrentLinkedDeque<UpstreamConnection> idleUpstreams = new ConcurrentLinkedDeque<>();
    private SharedConnector connector;

    private SharedSelectorForwarder(URI target) {
        this.upstream = new InetSocketAddress(target.getHost(), target.getPort());
        this.upstreamAuthority = target.getRawAuthority();
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 2) {
            System.err.println("usage: SharedSelectorForwarder PORT TARGET");
            System.exit(2);
        }
        new SharedSelectorForwarder(URI.create(args[1])).start(Integer.parseInt(args[0])).join();
        System.exit(0);
    }

    private Server start(int port) throws Exception {
        QueuedThreadPool threads = new QueuedThreadPool(200, 4);
        Server server = new Server(threads);
        server.setDynamic(false);
        Executor resumeInline = task -> {
            if (task instanceof HttpConnection) {
                task.run();
            } else {
                threads.execute(task);
            }
        };
        connector = new SharedConnector(server, resumeInline,
                new HttpConnectionFactory(ProxyLikeJettyServer.httpConfiguration()));
        connector.setHost("127.0.0.1");
        connector.setPort(port);
        server.addConnector(connector);
        server.setHandler(new Forward());
        server.start();
        System.out.println("shared-selector forwarder on 127.0.0.1:" + port + " -> " + upstreamAuthority);
        return server;
    }

    /**
     * One exchange in flight: the client's request as bytes for the upstream, where the answer goes, and whether it
     * is already the retry (a pooled connection the upstream closed while idle fails the first try).
     */
    private record Exchange(byte[] proxyToServerRequest, Response proxyToClientResponse, Callback callback,
            boolean retried) {
        Exchange retry() {
            return new Exchange(proxyToServerRequest, proxyToClientResponse, callback, true);
        }
    }

    private final class Forward extends Handler.Abstract {
        Forward() {
            super(InvocationType.NON_BLOCKING);
        }

        @Override
        public boolean handle(Request clientToProxyRequest, Response proxyToClientResponse, Callback callback) {
            Content.Source.asByteArrayAsync(clientToProxyRequest, BUFFER_BYTES).whenComplete((body, failure) -> {
                if (failure != null) {
                    callback.failed(failure);
                    return;
                }
                try {
                    var exchange = new Exchange(requestBytes(clientToProxyRequest, body), proxyToClientResponse,
                            callback, false);
                    UpstreamConnection idle = idleUpstreams.poll();
                    if (idle != null) {
                        idle.send(exchange);
                    } else {
                        connector.open(exchange);
                    }
                } catch (RuntimeException unexpected) { // the future would swallow it, leaving the client hanging
                    callback.failed(unexpected);
                }
            });
            return true;
        }

        private byte[] requestBytes(Request clientToProxyRequest, byte[] body) {
            String query = clientToProxyRequest.getHttpURI().getQuery();
            StringBuilder head = new StringBuilder(256).append(clientToProxyRequest.getMethod()).append(' ')
                    .append(clientToProxyRequest.getHttpURI().getPath()).append(query == null ? "" : "?" + query)
                    .append(" HTTP/1.1\r\nHost: ").append(upstreamAuthority).append("\r\n");
            for (HttpField field : clientToProxyRequest.getHeaders()) {
                if (field.getHeader() != HttpHeader.HOST && field.getHeader() != HttpHeader.CONNECTION) {
                    head.append(field.getName()).append(": ").append(field.getValue()).append("\r\n");
                }
            }
            byte[] headBytes = head.append("\r\n").toString().getBytes(StandardCharsets.ISO_8859_1);
            byte[] bytes = java.util.Arrays.copyOf(headBytes, headBytes.length + body.length);
            System.arraycopy(body, 0, bytes, headBytes.length, body.length);
            return bytes;
        }
    }

    /**
     * A keep-alive HTTP/1.1 connection to the upstream, one exchange at a time, on a server selector. It stays
     * fill-interested while idle, so that an upstream closing it is noticed and it leaves the pool.
     */
    private final class UpstreamConnection extends AbstractConnection.NonBlocking {
        private final ByteBuffer received = BufferUtil.allocate(BUFFER_BYTES);
        /** Taken (set to null) exactly once per exchange: by its answer or by a failure, never both. */
        private final AtomicReference<Exchange> inFlight = new AtomicReference<>();
        private final Callback fillable = Callback.from(InvocationType.NON_BLOCKING, this::onFillable, this::fail);

        UpstreamConnection(EndPoint endPoint, Executor executor) {
            super(endPoint, executor);
        }

        void send(Exchange exchange) {
            inFlight.set(exchange);
            getEndPoint().write(Callback.from(() -> { }, this::fail), ByteBuffer.wrap(exchange.proxyToServerRequest()));
            tryFillInterested(fillable);
        }

        @Override
        public void onFillable() {
            try {
                int filled;
                while ((filled = getEndPoint().fill(received)) > 0) {
                    // read all that is there
                }
                if (filled < 0) {
                    fail(new IOException("upstream closed the connection"));
                    return;
                }
                if (inFlight.get() == null || !answerComplete()) {
                    tryFillInterested(fillable);
                }
            } catch (IOException | RuntimeException failure) {
                fail(failure);
            }
        }

        /** Forwards the answer when it is all there; false while it is not. */
        private boolean answerComplete() {
            int headLength = Http1Heads.headLength(received, received.position(), received.limit());
            if (headLength < 0) {
                return false;
            }
            String[] lines = StandardCharsets.ISO_8859_1.decode(received.slice(received.position(), headLength))
                    .toString().split("\r\n");
            int contentLength = 0;
            for (int i = 1; i < lines.length; i++) {
                if (lines[i].regionMatches(true, 0, "content-length:", 0, 15)) {
                    contentLength = Integer.parseInt(lines[i].substring(15).trim());
                }
            }
            if (received.remaining() < headLength + 4 + contentLength) {
                return false;
            }
            Exchange exchange = inFlight.getAndSet(null);
            if (exchange == null) { // failed meanwhile
                return true;
            }
            Response proxyToClientResponse = exchange.proxyToClientResponse();
            proxyToClientResponse.setStatus(Integer.parseInt(lines[0].substring(9, 12)));
            for (int i = 1; i < lines.length; i++) {
                int colon = lines[i].indexOf(':');
                String name = lines[i].substring(0, colon);
                if (!isHopByHopOrOurs(name)) {
                    proxyToClientResponse.getHeaders().add(name, lines[i].substring(colon + 1).trim());
                }
            }
            byte[] body = new byte[contentLength];
            received.get(received.position() + headLength + 4, body);
            BufferUtil.clear(received);
            idleUpstreams.push(this);
            proxyToClientResponse.write(true, ByteBuffer.wrap(body), exchange.callback());
            tryFillInterested(fillable);
            return true;
        }

        private void fail(Throwable failure) {
            // Out of the pool first: a handler that took this connection just before sends on a closed endpoint,
            // and that write's failure brings its exchange back here, to the getAndSet below.
            idleUpstreams.remove(this);
            boolean nothingReceived = !received.hasRemaining();
            close();
            Exchange exchange = inFlight.getAndSet(null);
            if (exchange == null) {
                return;
            }
            if (nothingReceived && !exchange.retried()) {
                connector.open(exchange.retry());
            } else {
                exchange.callback().failed(failure);
            }
        }
    }

    private static boolean isHopByHopOrOurs(String name) {
        return name.equalsIgnoreCase("content-length") || name.equalsIgnoreCase("connection")
                || name.equalsIgnoreCase("keep-alive") || name.equalsIgnoreCase("server")
                || name.equalsIgnoreCase("date");
    }

    /** The server connector, whose selector manager also hosts the upstream connections. */
    private final class SharedConnector extends ServerConnector {
        SharedConnector(Server server, Executor executor, ConnectionFactory factory) {
            super(server, executor, null, null, 1, 1, factory);
        }

        /** Opens a new upstream connection on this connector's selector and sends {@code first} on it. */
        void open(Exchange first) {
            try {
                SocketChannel channel = SocketChannel.open(upstream);
                channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
                channel.configureBlocking(false);
                getSelectorManager().accept(channel, first);
            } catch (IOException failure) {
                first.callback().failed(failure);
            }
        }

        @Override
        protected SelectorManager newSelectorManager(Executor executor, Scheduler scheduler, int selectors) {
            return new ServerConnectorManager(executor, scheduler, selectors) {
                @Override
                protected SocketChannelEndPoint newEndPoint(SelectableChannel channel, ManagedSelector selector,
                        SelectionKey key) throws IOException {
                    if (!(key.attachment() instanceof Exchange)) {
                        return super.newEndPoint(channel, selector, key);
                    }
                    var endPoint = new SocketChannelEndPoint((SocketChannel) channel, selector, key, getScheduler());
                    endPoint.setIdleTimeout(getIdleTimeout());
                    return endPoint;
                }

                @Override
                public Connection newConnection(SelectableChannel channel, EndPoint endPoint, Object attachment)
                        throws IOException {
                    return attachment instanceof Exchange ? new UpstreamConnection(endPoint, getExecutor())
                            : super.newConnection(channel, endPoint, attachment);
                }

                @Override
                public void connectionOpened(Connection connection, Object attachment) {
                    super.connectionOpened(connection, attachment);
                    if (attachment instanceof Exchange first) {
                        ((UpstreamConnection) connection).send(first);
                    }
                }

                @Override
                protected void onAcceptFailed(SelectableChannel channel, Throwable failure, Object attachment) {
                    super.onAcceptFailed(channel, failure, attachment);
                    if (attachment instanceof Exchange first) {
                        first.callback().failed(failure);
                    }
                }

                @Override
                protected void endPointOpened(EndPoint endPoint) {
                    if (!(endPoint.getConnection() instanceof UpstreamConnection)) { // not a client connection
                        super.endPointOpened(endPoint);
                    }
                }

                @Override
                protected void endPointClosed(EndPoint endPoint) {
                    if (!(endPoint.getConnection() instanceof UpstreamConnection)) {
                        super.endPointClosed(endPoint);
                    }
                }
            };
        }
    }
}
