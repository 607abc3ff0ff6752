package io.mcpproxy.benchmarks;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayDeque;

/**
 * What plain Java can do on the transparent benchmark's load, without Jetty (benchmarks/transparent/ceiling.sh;
 * results in BENCHMARKS.md): an HTTP/1.1 forwarder built the way nginx is, one thread and one selector for the
 * client and the upstream connections alike, so that an exchange never changes threads. Requests and responses
 * are forwarded byte for byte (no header rules at all, the client's Host included).
 *
 * <p>Not a proxy anyone should run: it understands only messages delimited by {@code Content-Length} (the
 * benchmark's upstream answers nothing else) that fit in {@value #BUFFER_BYTES} bytes, does not pipeline, and
 * connects to the upstream with a blocking connect (new upstream connections appear during the warm-up only).
 * Binds 127.0.0.1 only.
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar io.mcpproxy.benchmarks.EventLoopForwarder PORT TARGET
 * </pre>
 *
 * <p>TARGET is the upstream's scheme, host and port (http only).
 */
public final class EventLoopForwarder {
    static final int BUFFER_BYTES = 64 * 1024;

    private final Selector selector;
    private final InetSocketAddress upstream;
    /** Idle upstream connections, most recently used first (as nginx's keep-alive cache). */
    private final ArrayDeque<Side> idleUpstreams = new ArrayDeque<>();

    /** One socket of an exchange: the client's or the upstream's, with what it has sent so far. */
    private static final class Side {
        final SocketChannel channel;
        final SelectionKey key;
        final ByteBuffer received = ByteBuffer.allocateDirect(BUFFER_BYTES);
        final boolean upstream;
        /** The other socket of the exchange in flight, or null between exchanges. */
        Side peer;
        /** Bytes for this socket that did not fit in its send buffer yet. */
        ByteBuffer unsent;

        Side(SocketChannel channel, Selector selector, boolean upstream) throws IOException {
            this.channel = channel;
            this.upstream = upstream;
            channel.configureBlocking(false);
            channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
            this.key = channel.register(selector, SelectionKey.OP_READ, this);
        }
    }

    private EventLoopForwarder(InetSocketAddress upstream) throws IOException {
        this.selector = Selector.open();
        this.upstream = upstream;
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 2) {
            System.err.println("usage: EventLoopForwarder PORT TARGET");
            System.exit(2);
        }
        URI target = URI.create(args[1]);
        var forwarder = new EventLoopForwarder(new InetSocketAddress(target.getHost(), target.getPort()));
        ServerSocketChannel listener = ServerSocketChannel.open();
        listener.bind(new InetSocketAddress("127.0.0.1", Integer.parseInt(args[0])), 1024);
        listener.configureBlocking(false);
        listener.register(forwarder.selector, SelectionKey.OP_ACCEPT);
        System.out.println("event-loop forwarder on 127.0.0.1:" + args[0] + " -> " + target);
        forwarder.loop(listener);
    }

    private void loop(ServerSocketChannel listener) throws IOException {
        while (true) {
            selector.select(key -> {
                try {
                    if (key.isAcceptable()) {
                        SocketChannel client;
                        while ((client = listener.accept()) != null) {
                            new Side(client, selector, false);
                        }
                        return;
                    }
                    Side side = (Side) key.attachment();
                    if (key.isWritable()) {
                        flush(side);
                    }
                    if (key.isValid() && key.isReadable()) {
                        onReadable(side);
                    }
                } catch (IOException | RuntimeException failure) {
                    if (key.attachment() instanceof Side side) {
                        close(side);
                    }
                }
            });
        }
    }

    private void onReadable(Side side) throws IOException {
        if (side.channel.read(side.received) < 0) {
            close(side);
            return;
        }
        if (!isCompleteMessage(side.received)) {
            if (!side.received.hasRemaining()) {
                throw new IOException("message larger than " + BUFFER_BYTES + " bytes");
            }
            return;
        }
        if (side.upstream) {
            Side client = side.peer;
            side.peer = null;
            if (client == null) { // its client went away mid-exchange: the answer has nobody to go to
                close(side);
                return;
            }
            client.peer = null;
            idleUpstreams.push(side);
            send(side.received, client);
        } else {
            Side upstreamSide = idleUpstreams.poll();
            if (upstreamSide == null) {
                upstreamSide = new Side(SocketChannel.open(upstream), selector, true);
            }
            upstreamSide.peer = side;
            side.peer = upstreamSide;
            send(side.received, upstreamSide);
        }
    }

    /** Writes what {@code from} received to {@code to}; what does not fit waits for {@code to} to be writable. */
    private void send(ByteBuffer from, Side to) throws IOException {
        from.flip();
        to.channel.write(from);
        if (from.hasRemaining()) {
            to.unsent = ByteBuffer.allocate(from.remaining()).put(from).flip();
            to.key.interestOps(SelectionKey.OP_READ | SelectionKey.OP_WRITE);
        }
        from.clear();
    }

    private void flush(Side side) throws IOException {
        side.channel.write(side.unsent);
        if (!side.unsent.hasRemaining()) {
            side.unsent = null;
            side.key.interestOps(SelectionKey.OP_READ);
        }
    }

    private void close(Side side) {
        try {
            side.channel.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        idleUpstreams.remove(side);
        Side peer = side.peer;
        if (peer != null) { // an exchange in flight is abandoned: neither of its sockets can be reused
            side.peer = null;
            peer.peer = null;
            close(peer);
        }
    }

    /** True when {@code buffer} holds a whole message: a head and {@code Content-Length} bytes of body. */
    static boolean isCompleteMessage(ByteBuffer buffer) {
        int headLength = Http1Heads.headLength(buffer, 0, buffer.position());
        return headLength >= 0 && buffer.position() >= headLength + 4 + contentLength(buffer, headLength);
    }

    private static final byte[] CONTENT_LENGTH = "\ncontent-length:".getBytes();

    private static int contentLength(ByteBuffer buffer, int headEnd) {
        for (int i = 0; i + CONTENT_LENGTH.length < headEnd; i++) {
            int j = 0;
            while (j < CONTENT_LENGTH.length && (buffer.get(i + j) | 0x20) == (CONTENT_LENGTH[j] | 0x20)) {
                j++;
            }
            if (j == CONTENT_LENGTH.length) {
                int k = i + j;
                while (buffer.get(k) == ' ') {
                    k++;
                }
                int length = 0;
                while (buffer.get(k) >= '0' && buffer.get(k) <= '9') {
                    length = length * 10 + (buffer.get(k++) - '0');
                }
                return length;
            }
        }
        return 0;
    }
}
