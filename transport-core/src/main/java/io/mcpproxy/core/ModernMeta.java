package io.mcpproxy.core;

/**
 * The {@code _meta} keys of the modern revisions (2026-07-28 on), declared once for every proxy that reads or writes
 * them: what a request carries instead of a session, and what a server's messages carry back.
 */
public final class ModernMeta {

    /** Every key of the specification starts with it; a legacy server reads none of them. */
    public static final String PREFIX = "io.modelcontextprotocol/";
    public static final String PROTOCOL_VERSION = PREFIX + "protocolVersion";
    public static final String CLIENT_CAPABILITIES = PREFIX + "clientCapabilities";
    public static final String CLIENT_INFO = PREFIX + "clientInfo";
    public static final String LOG_LEVEL = PREFIX + "logLevel";
    public static final String SERVER_INFO = PREFIX + "serverInfo";
    /** On a notification of a {@code subscriptions/listen} stream: the listen request's id. */
    public static final String SUBSCRIPTION_ID = PREFIX + "subscriptionId";

    private ModernMeta() {
    }
}
