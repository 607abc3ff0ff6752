package io.mcpproxy.core.forward;

import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.BufferUtil;
import org.eclipse.jetty.util.Callback;

/**
 * The response head of an event stream, sent on its own as soon as the upstream's arrives: a stream may stay silent
 * for long before its first event, and the client must not wait that long to learn it is open. Also the head of a
 * bodiless answer of unstated length, which must not be committed by its last write. Every body write waits for it
 * (Jetty allows one write in flight); other responses keep head and body together.
 */
final class HeadersAhead {

    private CompletableFuture<Void> sent; // null: the head goes out with the first body bytes

    void send(Response proxyToClientResponse) {
        CompletableFuture<Void> written = new CompletableFuture<>();
        sent = written;
        proxyToClientResponse.write(false, BufferUtil.EMPTY_BUFFER, Callback.from(() -> written.complete(null),
                written::completeExceptionally));
    }

    /** Runs {@code write} once the head is out, or {@code failed} if sending it failed. */
    void then(Runnable write, Consumer<Throwable> failed) {
        if (sent == null) {
            write.run();
            return;
        }
        sent.whenComplete((ignored, failure) -> {
            if (failure == null) {
                write.run();
            } else {
                failed.accept(failure);
            }
        });
    }
}
