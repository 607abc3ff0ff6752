package io.mcpproxy.stdio;

import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.util.component.AbstractLifeCycle;
import org.eclipse.jetty.util.thread.Scheduler;

/**
 * The timer of the server a handler is mounted in, for parts built before the handler knows its server (the
 * backends' request timeouts and restarts): one timer per proxy, the server's. The server starts and stops it.
 */
final class ServerScheduler extends AbstractLifeCycle implements Scheduler {

    private final Handler mounted;

    ServerScheduler(Handler mounted) {
        this.mounted = mounted;
    }

    @Override
    public Task schedule(Runnable task, long delay, TimeUnit unit) {
        Server server = mounted.getServer();
        if (server == null) {
            throw new IllegalStateException("the MCP proxy handler is not mounted in a Jetty Server");
        }
        return server.getScheduler().schedule(task, delay, unit);
    }
}
