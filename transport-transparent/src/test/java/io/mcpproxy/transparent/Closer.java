package io.mcpproxy.transparent;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/** Closes what a test tracked, newest first, after each test ({@code @RegisterExtension}). */
final class Closer implements AfterEachCallback {

    private final List<AutoCloseable> closeables = new ArrayList<>();

    <T extends AutoCloseable> T track(T closeable) {
        closeables.add(closeable);
        return closeable;
    }

    /** A test upstream on an ephemeral port (connections idle out after 30 s), closed after the test. */
    TestUpstream upstream(String name) throws Exception {
        return track(new TestUpstream(name).start(0, 30_000));
    }

    /** The proxy {@code builder} describes, on an ephemeral port, started now and closed after the test. */
    TransparentProxy started(TransparentProxy.Builder builder) throws Exception {
        TransparentProxy proxy = track(builder.port(0).build());
        proxy.start();
        return proxy;
    }

    @Override
    public void afterEach(ExtensionContext context) throws Exception {
        for (int i = closeables.size() - 1; i >= 0; i--) {
            closeables.get(i).close();
        }
        closeables.clear();
    }
}
