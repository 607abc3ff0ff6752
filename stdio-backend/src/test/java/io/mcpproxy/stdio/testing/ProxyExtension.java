package io.mcpproxy.stdio.testing;

import io.mcpproxy.stdio.StdioProxyBuilder;
import io.mcpproxy.stdio.McpProxy;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The proxies of one test: each built on port 0 in front of the example server and started, and every one closed
 * after the test, passed or failed. Register it on an instance field, so that each test has its own:
 *
 * <pre>{@code
 * @RegisterExtension
 * final ProxyExtension<StreamableHttpProxy.Builder, StreamableHttpProxy> proxies = new ProxyExtension<>(
 *         StreamableHttpProxy::builder, StreamableHttpProxy.Builder::build, StreamableHttpProxy::start)
 *         .options(builder -> builder.command(StubbornServer.commandLine())); // every test of the class
 *
 * @Test
 * void aTest() throws Exception {
 *     StreamableHttpProxy proxy = proxies.start(builder -> builder.sessionTtl(Duration.ofSeconds(1)));
 *     ...
 *     proxy = proxies.start(builder -> builder.sessionTtl(Duration.ofSeconds(5))); // closes the first one
 * }
 * }</pre>
 *
 * Options apply in this order, a later one winning: port 0 and the example server, the class's
 * {@link #options options}, the test's. A test that needs several proxies at once (replicas on one storage) starts
 * the further ones with {@link #startAnother}. The extension closes them in {@code afterEach}, after the class's own
 * {@code @AfterEach} methods: clients those close still find their proxy up.
 *
 * @param <B> the proxy's builder
 * @param <P> the proxy
 */
public final class ProxyExtension<B extends StdioProxyBuilder<B>, P extends AutoCloseable>
        implements AfterEachCallback {

    /** Starts a built proxy, e.g. {@code StreamableHttpProxy::start}. */
    @FunctionalInterface
    public interface Starter<P> {
        void start(P proxy) throws Exception;
    }

    private final Supplier<B> newBuilder;
    private final Function<B, P> build;
    private final Starter<P> starter;
    private Consumer<? super B> classOptions = builder -> { };
    /** The proxies this test started and has not closed, the latest first. */
    private final Deque<P> running = new ArrayDeque<>();
    /** What outlives the proxies, the latest first. */
    private final Deque<AutoCloseable> resources = new ArrayDeque<>();

    /**
     * @param newBuilder a fresh builder, e.g. {@code StreamableHttpProxy::builder}
     * @param build      builds the proxy, e.g. {@code StreamableHttpProxy.Builder::build}
     * @param starter    starts it, e.g. {@code StreamableHttpProxy::start}
     */
    public ProxyExtension(Supplier<B> newBuilder, Function<B, P> build, Starter<P> starter) {
        this.newBuilder = Objects.requireNonNull(newBuilder, "newBuilder");
        this.build = Objects.requireNonNull(build, "build");
        this.starter = Objects.requireNonNull(starter, "starter");
    }

    /** Options every proxy of the test class gets, before the test's own; a command replaces the example server. */
    public ProxyExtension<B, P> options(Consumer<? super B> options) {
        Consumer<? super B> before = classOptions;
        classOptions = builder -> {
            before.accept(builder);
            options.accept(builder);
        };
        return this;
    }

    /** {@link #start(Consumer)} with the class's options only. */
    public P start() throws Exception {
        return start(builder -> { });
    }

    /**
     * Closes the proxies this test started before (a restart with other options), then starts one with the class's
     * options and {@code testOptions}.
     */
    public P start(Consumer<? super B> testOptions) throws Exception {
        Exception failure = closeAll(running, null);
        if (failure != null) {
            throw failure;
        }
        return startAnother(testOptions);
    }

    /** Starts one more proxy beside those running (another replica), with the class's options and the test's. */
    public P startAnother(Consumer<? super B> testOptions) throws Exception {
        B builder = newBuilder.get().command(ExampleServerCommand.commandLine()).port(0);
        classOptions.accept(builder);
        testOptions.accept(builder);
        P proxy = build.apply(builder);
        running.push(proxy); // before it starts: a failed start still leaves something to close
        starter.start(proxy);
        return proxy;
    }

    /** Closes {@code resource} after the test, once every proxy is closed: a storage they were handed outlives them. */
    public <T extends AutoCloseable> T closeAfterwards(T resource) {
        resources.push(Objects.requireNonNull(resource, "resource"));
        return resource;
    }

    @Override
    public void afterEach(ExtensionContext context) throws Exception {
        Exception failure = closeAll(running, null);
        failure = closeAll(resources, failure);
        if (failure != null) {
            throw failure;
        }
    }

    /** Closes and forgets every one of {@code closeables}, whatever fails; returns the failures, the first on top. */
    private static Exception closeAll(Deque<? extends AutoCloseable> closeables, Exception failure) {
        for (AutoCloseable closeable = closeables.poll(); closeable != null; closeable = closeables.poll()) {
            try {
                closeable.close();
            } catch (Exception e) {
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        return failure;
    }
}
