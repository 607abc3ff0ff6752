package io.mcpproxy.benchmarks;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Locale;

/**
 * Minimal blocking HTTP/1.1 client pieces for the SSE benchmarks ({@link SseLoad}, {@link FirstEventLatency}):
 * raw sockets, so the load generator spends as little of the shared CPU as possible. Handles {@code Content-Length},
 * chunked and read-until-close bodies; nothing else of HTTP (no redirects, no TLS, no compression).
 */
final class SseWire {

    private SseWire() {
    }

    /** One TCP connection with a buffered input side. */
    static final class Connection implements AutoCloseable {
        final Socket socket;
        final InputStream in;
        final OutputStream out;
        final String hostHeader;

        Connection(URI base, int connectTimeoutMillis) throws IOException {
            socket = new Socket();
            socket.setTcpNoDelay(true);
            socket.connect(new InetSocketAddress(base.getHost(), base.getPort()), connectTimeoutMillis);
            in = new BufferedInputStream(socket.getInputStream(), 16 * 1024);
            out = socket.getOutputStream();
            hostHeader = base.getHost() + ":" + base.getPort();
        }

        void write(String head, byte[] body) throws IOException {
            byte[] h = head.getBytes(StandardCharsets.ISO_8859_1);
            if (body == null || body.length == 0) {
                out.write(h);
            } else {
                byte[] all = Arrays.copyOf(h, h.length + body.length);
                System.arraycopy(body, 0, all, h.length, body.length);
                out.write(all);
            }
            out.flush();
        }

        @Override
        public void close() {
            try {
                socket.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
    }

    /** Status line and the headers this client cares about. */
    record Head(int status, long contentLength, boolean chunked, String contentType, String raw) {
    }

    static Head readHead(InputStream in) throws IOException {
        StringBuilder raw = new StringBuilder(256);
        String status = readLine(in);
        if (status == null) {
            throw new EOFException("connection closed before the response");
        }
        raw.append(status).append('\n');
        String[] parts = status.split(" ", 3);
        if (parts.length < 2 || !parts[0].startsWith("HTTP/1.")) {
            throw new IOException("not an HTTP/1.x status line: " + status);
        }
        int code = Integer.parseInt(parts[1]);
        long length = -1;
        boolean chunked = false;
        String type = null;
        for (String line = readLine(in); ; line = readLine(in)) {
            if (line == null) {
                throw new EOFException("connection closed inside the response head");
            }
            if (line.isEmpty()) {
                break;
            }
            raw.append(line).append('\n');
            int colon = line.indexOf(':');
            if (colon <= 0) {
                continue;
            }
            String name = line.substring(0, colon).trim().toLowerCase(Locale.ROOT);
            String value = line.substring(colon + 1).trim();
            switch (name) {
                case "content-length" -> length = Long.parseLong(value);
                case "transfer-encoding" -> chunked = value.toLowerCase(Locale.ROOT).contains("chunked");
                case "content-type" -> type = value;
                default -> { }
            }
        }
        return new Head(code, length, chunked, type, raw.toString());
    }

    /** A line without its CR LF (or LF); null at end of stream before any byte. */
    static String readLine(InputStream in) throws IOException {
        StringBuilder line = new StringBuilder(64);
        int b;
        while ((b = in.read()) != -1) {
            if (b == '\n') {
                int n = line.length();
                if (n > 0 && line.charAt(n - 1) == '\r') {
                    line.setLength(n - 1);
                }
                return line.toString();
            }
            line.append((char) b);
        }
        return line.length() == 0 ? null : line.toString();
    }

    /** Reads and discards a whole (small) response body; returns it as text. */
    static String readBody(InputStream in, Head head) throws IOException {
        InputStream body = body(in, head);
        StringBuilder text = new StringBuilder();
        byte[] buffer = new byte[4096];
        int n;
        while ((n = body.read(buffer)) != -1) {
            text.append(new String(buffer, 0, n, StandardCharsets.UTF_8));
        }
        return text.toString();
    }

    /** The response body as a stream of its own, whatever the framing. */
    static InputStream body(InputStream in, Head head) {
        if (head.chunked()) {
            return new Chunked(in);
        }
        if (head.contentLength() >= 0) {
            return new Limited(in, head.contentLength());
        }
        return in; // until close
    }

    /** One server-sent event (comments skipped): its event name (null = "message") and its data lines joined. */
    record Event(String name, String data) {
    }

    /** The next event of an SSE body; null at the end of the stream. Comment lines (": keep-alive") are skipped. */
    static Event nextEvent(InputStream body) throws IOException {
        String name = null;
        StringBuilder data = null;
        for (String line = readLine(body); line != null; line = readLine(body)) {
            if (line.isEmpty()) {
                if (data != null || name != null) {
                    return new Event(name, data == null ? "" : data.toString());
                }
                continue; // the blank line after a comment
            }
            if (line.startsWith(":")) {
                continue;
            }
            if (line.startsWith("event:")) {
                name = line.substring(6).trim();
            } else if (line.startsWith("data:")) {
                String value = line.substring(5);
                if (value.startsWith(" ")) {
                    value = value.substring(1);
                }
                if (data == null) {
                    data = new StringBuilder(value);
                } else {
                    data.append('\n').append(value);
                }
            }
        }
        return data == null ? null : new Event(name, data.toString());
    }

    /** Chunked transfer coding (RFC 9112 7.1), trailers ignored. */
    static final class Chunked extends InputStream {
        private final InputStream in;
        private long left;
        private boolean done;

        Chunked(InputStream in) {
            this.in = in;
        }

        private boolean nextChunk() throws IOException {
            if (done) {
                return false;
            }
            if (left == 0) {
                String size = readLine(in);
                if (size != null && size.isEmpty()) {
                    size = readLine(in); // the CR LF after the previous chunk's data
                }
                if (size == null) {
                    throw new EOFException("connection closed inside a chunked body");
                }
                int semicolon = size.indexOf(';');
                left = Long.parseLong((semicolon < 0 ? size : size.substring(0, semicolon)).trim(), 16);
                if (left == 0) {
                    for (String trailer = readLine(in); trailer != null && !trailer.isEmpty(); trailer = readLine(in)) {
                        // trailers ignored
                    }
                    done = true;
                    return false;
                }
            }
            return true;
        }

        @Override
        public int read() throws IOException {
            if (!nextChunk()) {
                return -1;
            }
            int b = in.read();
            if (b == -1) {
                throw new EOFException("connection closed inside a chunk");
            }
            left--;
            return b;
        }

        @Override
        public int read(byte[] buffer, int offset, int length) throws IOException {
            if (length == 0) {
                return 0;
            }
            if (!nextChunk()) {
                return -1;
            }
            int n = in.read(buffer, offset, (int) Math.min(length, left));
            if (n == -1) {
                throw new EOFException("connection closed inside a chunk");
            }
            left -= n;
            return n;
        }
    }

    /** A body of known length. */
    static final class Limited extends InputStream {
        private final InputStream in;
        private long left;

        Limited(InputStream in, long length) {
            this.in = in;
            this.left = length;
        }

        @Override
        public int read() throws IOException {
            if (left == 0) {
                return -1;
            }
            int b = in.read();
            if (b == -1) {
                throw new EOFException("connection closed inside the body");
            }
            left--;
            return b;
        }

        @Override
        public int read(byte[] buffer, int offset, int length) throws IOException {
            if (left == 0) {
                return -1;
            }
            int n = in.read(buffer, offset, (int) Math.min(length, left));
            if (n == -1) {
                throw new EOFException("connection closed inside the body");
            }
            left -= n;
            return n;
        }
    }

    /** Percentile of sorted nanosecond samples, in milliseconds (nearest rank). */
    static double percentileMillis(long[] sorted, int count, double percentile) {
        if (count == 0) {
            return Double.NaN;
        }
        int rank = (int) Math.ceil(percentile / 100.0 * count);
        return sorted[Math.max(0, Math.min(count - 1, rank - 1))] / 1e6;
    }
}
