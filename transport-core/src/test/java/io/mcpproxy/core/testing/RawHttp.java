package io.mcpproxy.core.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/** One HTTP/1.1 exchange written byte for byte on a new socket, for request targets no HTTP client would send. */
public final class RawHttp {

    public record Answer(String text) {
        public String statusLine() {
            int end = text.indexOf("\r\n");
            return end < 0 ? text : text.substring(0, end);
        }
    }

    private RawHttp() {
    }

    /** Sends {@code request} (which must ask for {@code Connection: close}) and reads until the server closes. */
    public static Answer exchange(int port, String request) throws IOException {
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
            socket.setSoTimeout(20_000);
            OutputStream out = socket.getOutputStream();
            out.write(request.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            InputStream in = socket.getInputStream();
            return new Answer(new String(in.readAllBytes(), StandardCharsets.ISO_8859_1));
        }
    }
}
