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

    @Override
    public void log(Request request, Response response) {
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - request.getBeginNanoTime());
        String method = request.getMethod();
        String path = request.getHttpURI().getPath();
        int status = response.getStatus();
        long bytes = Response.getContentBytesWritten(response);
        String transport = Exchanges.transport(request);
        String session = Exchanges.session(request);
        LOG.atInfo()
                .addKeyValue("http_method", method).addKeyValue("path", path).addKeyValue("status", status)
                .addKeyValue("bytes", bytes).addKeyValue("duration_ms", millis)
                .addKeyValue("transport", transport).addKeyValue("session", session)
                .log("{} {} {} {} bytes {} ms transport={} session={}", method, path, status, bytes, millis,
                        transport == null ? "-" : transport, session == null ? "-" : session);
    }
}
