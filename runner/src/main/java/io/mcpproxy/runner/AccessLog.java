package io.mcpproxy.runner;

import io.mcpproxy.core.observe.Exchanges;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.RequestLog;
import org.eclipse.jetty.server.Response;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One line per HTTP exchange, through the logger {@value #LOGGER}: method, path without its query (a legacy
 * session id travels there), status, response bytes, duration, transport and abbreviated session. In JSON logs
 * each is a key-value pair of its own.
 */
final class AccessLog implements RequestLog {

    static final String LOGGER = "io.mcpproxy.access";
    private static final Logger LOG = LoggerFactory.getLogger(LOGGER);

    /** Whether lines carry their fields as key-value pairs too: only JSON lines show them. */
    private final boolean keyValues;

    AccessLog(OperationsSettings.LogFormat format) {
        this.keyValues = format == OperationsSettings.LogFormat.JSON;
    }

    @Override
    public void log(Request request, Response response) {
        if (!LOG.isInfoEnabled()) {
            return;
        }
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - request.getBeginNanoTime());
        String method = request.getMethod();
        String path = request.getHttpURI().getPath();
        int status = response.getStatus();
        long bytes = Response.getContentBytesWritten(response);
        Exchanges.Exchange exchange = Exchanges.of(request);
        String transport = exchange == null ? null : exchange.transport();
        String session = exchange == null ? null : exchange.session();
        String shownTransport = transport == null ? "-" : transport;
        String shownSession = session == null ? "-" : session;
        if (!keyValues) { // the line as text, built here at once: no template to parse, no numbers boxed
            LOG.info(new StringBuilder(96).append(method).append(' ').append(path).append(' ').append(status)
                    .append(' ').append(bytes).append(" bytes ").append(millis).append(" ms transport=")
                    .append(shownTransport).append(" session=").append(shownSession).toString());
            return;
        }
        LOG.atInfo()
                .addKeyValue("http_method", method).addKeyValue("path", path).addKeyValue("status", status)
                .addKeyValue("bytes", bytes).addKeyValue("duration_ms", millis)
                .addKeyValue("transport", transport).addKeyValue("session", session)
                .log("{} {} {} {} bytes {} ms transport={} session={}", method, path, status, bytes, millis,
                        shownTransport, shownSession);
    }
}
