package io.mcpproxy.core.observe;

import java.util.function.Function;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.slf4j.MDC;

/**
 * Wraps one transport's handler: marks the requests it serves with the transport and the abbreviated session id
 * (for the access log, and in the logging MDC as {@value #MDC_TRANSPORT} and {@value #MDC_SESSION} while the
 * request is handled), and records each served exchange in {@link HttpMetrics} when it completes. Requests the
 * transport declines pass on unmarked.
 */
public final class ObservedHandler extends Handler.Wrapper {

    public static final String MDC_TRANSPORT = "transport";
    public static final String MDC_SESSION = "session";

    private final String transport;
    private final HttpMetrics metrics;
    private final Function<Request, String> session;

    /**
     * @param metrics null: no metrics (no registry), nothing recorded
     * @param session the request's session id, abbreviated for logs, or null when it names none
     */
    public ObservedHandler(String transport, HttpMetrics metrics, Function<Request, String> session,
                           Handler handler) {
        super(handler);
        this.transport = transport;
        this.metrics = metrics;
        this.session = session;
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) throws Exception {
        String sessionId = session.apply(request);
        Exchanges.Exchange exchange = Exchanges.start(request, transport, sessionId);
        if (sessionId != null) {
            MDC.put(MDC_SESSION, sessionId);
        }
        MDC.put(MDC_TRANSPORT, transport);
        try {
            if (metrics != null) {
                // Before handling: a quick answer may complete the exchange before handle() returns.
                Request.addCompletionListener(request, failure -> {
                    if (!exchange.declined()) {
                        metrics.record(exchange, request, response);
                    }
                });
            }
            boolean handled = super.handle(request, response, callback);
            if (!handled) {
                Exchanges.decline(request, exchange);
            }
            return handled;
        } finally {
            MDC.remove(MDC_TRANSPORT);
            MDC.remove(MDC_SESSION);
        }
    }
}
