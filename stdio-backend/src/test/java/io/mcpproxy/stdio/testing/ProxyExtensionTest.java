package io.mcpproxy.stdio.testing;

import io.mcpproxy.stdio.StdioProxyBuilder;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.mcpproxy.stdio.McpProxy;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What the extension starts and closes, with proxies that only record what happens to them. */
class ProxyExtensionTest {

    private final List<String> events = new ArrayList<>();
    private final ProxyExtension<FakeBuilder, FakeProxy> proxies = new ProxyExtension<>(FakeBuilder::new,
            builder -> new FakeProxy(builder.name, events), FakeProxy::start);

    @Test
    void startingAgainClosesEveryProxyStartedBefore() throws Exception {
        proxies.start(builder -> builder.name("first"));
        proxies.startAnother(builder -> builder.name("second"));
        proxies.start(builder -> builder.name("third"));
        assertEquals(List.of("started first", "started second", "closed second", "closed first", "started third"),
                events);
    }

    @Test
    void afterEachClosesTheProxiesLatestFirstThenWhatOutlivesThem() throws Exception {
        proxies.closeAfterwards(() -> events.add("closed storage a"));
        proxies.closeAfterwards(() -> events.add("closed storage b"));
        proxies.startAnother(builder -> builder.name("a"));
        proxies.startAnother(builder -> builder.name("b"));
        events.clear();
        proxies.afterEach(null);
        assertEquals(List.of("closed b", "closed a", "closed storage b", "closed storage a"), events);
        proxies.afterEach(null);
        assertEquals(4, events.size(), "each closed once");
    }

    @Test
    void aProxyThatFailsToStartIsClosedAfterTheTestAllTheSame() throws Exception {
        assertThrows(IllegalStateException.class, () -> proxies.start(builder -> builder.name("unstartable")));
        proxies.afterEach(null);
        assertEquals(List.of("started unstartable", "closed unstartable"), events);
    }

    @Test
    void aCloseThatFailsLeavesNothingElseOpenAndFailsAfterEach() throws Exception {
        proxies.closeAfterwards(() -> events.add("closed storage"));
        proxies.start(builder -> builder.name("a"));
        proxies.startAnother(builder -> builder.name("unclosable"));
        events.clear();
        IllegalStateException failure = assertThrows(IllegalStateException.class, () -> proxies.afterEach(null));
        assertEquals("cannot close unclosable", failure.getMessage());
        assertEquals(List.of("closed unclosable", "closed a", "closed storage"), events);
    }

    @Test
    void theTestsOptionsComeAfterTheClasssOptions() throws Exception {
        proxies.options(builder -> builder.name("class")).options(builder -> builder.name(builder.name + "+more"));
        assertEquals("class+more", proxies.start().name());
        FakeProxy own = proxies.start(builder -> builder.name(builder.name + ", then test"));
        assertEquals("class+more, then test", own.name());
    }

    /** A builder of the shared options plus one of its own, as each transport's is. */
    static final class FakeBuilder extends StdioProxyBuilder<FakeBuilder> {
        private String name = "unnamed";

        FakeBuilder name(String name) {
            this.name = name;
            return this;
        }

        @Override
        protected FakeBuilder self() {
            return this;
        }
    }

    record FakeProxy(String name, List<String> events) implements AutoCloseable {
        void start() {
            events.add("started " + name);
            if (name.equals("unstartable")) {
                throw new IllegalStateException("cannot start " + name);
            }
        }

        @Override
        public void close() {
            events.add("closed " + name);
            if (name.equals("unclosable")) {
                throw new IllegalStateException("cannot close " + name);
            }
        }
    }
}
