package io.mcpproxy.core.http;

import java.time.Duration;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;

/**
 * Jetty's HTTP/1.1 connection factory, making {@link TimedHttpConnection}s: request heads must arrive whole within
 * the head timeout, and request bodies may pause no longer than the body timeout.
 */
final class TimedHttpConnectionFactory extends HttpConnectionFactory {

    private final long headTimeoutMillis;
    private final long bodyTimeoutMillis;

    TimedHttpConnectionFactory(HttpConfiguration configuration, Duration headTimeout, Duration bodyTimeout) {
        super(configuration);
        this.headTimeoutMillis = headTimeout.toMillis();
        this.bodyTimeoutMillis = bodyTimeout.toMillis();
    }

    @Override
    public Connection newConnection(Connector connector, EndPoint endPoint) {
        TimedHttpConnection connection = new TimedHttpConnection(getHttpConfiguration(), connector, endPoint,
                headTimeoutMillis, bodyTimeoutMillis);
        connection.setTransferEncodingChunkMaxLength(getTransferEncodingChunkMaxLength());
        return configure(connection, connector, endPoint);
    }
}
