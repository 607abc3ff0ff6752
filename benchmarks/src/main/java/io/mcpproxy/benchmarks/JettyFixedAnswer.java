package io.mcpproxy.benchmarks;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.Invocable.InvocationType;

/**
 * The server half of the transparent proxy's stack on its own (benchmarks/transparent/ceiling.sh; results in
 * BENCHMARKS.md): a Jetty server configured as the proxy's (one acceptor, one selector, non-blocking handling)
 * that reads each request and answers it itself with the benchmark upstream's JSON-RPC body, contacting nobody.
 * Its CPU per request is what the Jetty server costs before any forwarding.
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar io.mcpproxy.benchmarks.JettyFixedAnswer PORT
 * </pre>
 *
 * <p>Binds 127.0.0.1 only.
 */
public final class JettyFixedAnswer {
    private static final byte[] ANSWER =
            "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}".getBytes(StandardCharsets.UTF_8);

    public static void main(String[] args) throws Exception {
        if (args.length != 1) {
            System.err.println("usage: JettyFixedAnswer PORT");
            System.exit(2);
        }
        Server server = ProxyLikeJettyServer.start(Integer.parseInt(args[0]), new Answer());
        System.out.println("Jetty fixed answer on 127.0.0.1:" + args[0]);
        server.join();
    }

    private static final class Answer extends Handler.Abstract {
        Answer() {
            super(InvocationType.NON_BLOCKING);
        }

        @Override
        public boolean handle(Request request, Response response, Callback callback) {
            Content.Source.consumeAll(request, Callback.from(() -> {
                response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
                response.write(true, ByteBuffer.wrap(ANSWER), callback);
            }, callback::failed));
            return true;
        }
    }
}
