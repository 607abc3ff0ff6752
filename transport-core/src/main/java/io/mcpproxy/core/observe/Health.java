package io.mcpproxy.core.observe;

import java.util.List;

/**
 * Whether a proxy is ready to serve, check by check (listening, session storage, MCP server, upstream targets):
 * what a readiness probe asks. {@link #ready} when every check passed.
 */
public record Health(List<Check> checks) {

    /** One check: its name, whether it passed, and in a few words why not (or what it saw). */
    public record Check(String name, boolean up, String detail) {

        public static Check up(String name, String detail) {
            return new Check(name, true, detail);
        }

        public static Check down(String name, String detail) {
            return new Check(name, false, detail);
        }

        /** Up when {@code probe} returns, down with its failure's message when it throws. */
        public static Check probe(String name, Runnable probe) {
            try {
                probe.run();
                return up(name, "answered");
            } catch (RuntimeException e) {
                return down(name, e.getMessage());
            }
        }
    }

    public Health {
        checks = List.copyOf(checks);
    }

    public boolean ready() {
        return checks.stream().allMatch(Check::up);
    }
}
