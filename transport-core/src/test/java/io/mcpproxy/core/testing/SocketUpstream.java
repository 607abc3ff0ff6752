package io.mcpproxy.core.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;

/**
 * A raw-socket upstream on an ephemeral loopback port, one thread per connection: for behaviour a Jetty server
 * would hide (when a connection closes, framings it never writes). Subclasses serve one connection.
 */
public abstract class SocketUpstream implements AutoCloseable {

    private final ServerSocket server;
    private final String name;

    protected SocketUpstream(String name) throws IOException {
        this(name, 0);
    }

    /** @param receiveBufferSize SO_RCVBUF of accepted connections in bytes (0: the system's) */
    protected SocketUpstream(String name, int receiveBufferSize) throws IOException {
        this.name = name;
        server = new ServerSocket();
        if (receiveBufferSize > 0) {
            server.setReceiveBufferSize(receiveBufferSize); // before bind: it applies to the accepted sockets
        }
        server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 50);
    }

    /** Starts accepting; a subclass calls it last in its constructor, once its own fields are set. */
    protected final void startAccepting() {
        Thread acceptor = new Thread(this::accept, name);
        acceptor.setDaemon(true);
        acceptor.start();
    }

    public URI uri() {
        return URI.create("http://127.0.0.1:" + server.getLocalPort() + "/mcp");
    }

    /** Serves one accepted connection until it ends; called on a thread of its own. */
    protected abstract void serve(Socket socket);

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket socket = server.accept();
                Thread connection = new Thread(() -> serve(socket), name + "-connection");
                connection.setDaemon(true);
                connection.start();
            } catch (IOException closed) {
                return;
            }
        }
    }

    /** The request head up to its blank line, or null at the end of the connection. */
    public static String readRequestHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0; // of the "\r\n\r\n" that ends the head
        while (matched < 4) {
            int b = in.read();
            if (b < 0) {
                return null;
            }
            head.write(b);
            matched = b == "\r\n\r\n".charAt(matched) ? matched + 1 : b == '\r' ? 1 : 0;
        }
        return head.toString(StandardCharsets.ISO_8859_1);
    }

    @Override
    public void close() throws IOException {
        server.close();
    }
}
