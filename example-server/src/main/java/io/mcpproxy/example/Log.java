package io.mcpproxy.example;

/**
 * Logging straight to stderr. No framework on purpose: stdout belongs to the protocol, and a logging library
 * that defaults to stdout (or pulls in a config file) is exactly how stdio servers corrupt their stream.
 */
final class Log {

    private static final int MAX_QUOTED = 200;

    /** Prefix of every line, so the logs of several servers under one proxy can be told apart. */
    private static volatile String prefix = "[example-server] ";

    private Log() {
    }

    static void log(String format, Object... args) {
        System.err.println(prefix + String.format(format, args));
    }

    /** Sets the name shown in front of every log line; call before the first log. */
    static void setName(String name) {
        prefix = "[" + name + "] ";
    }

    /** Shortens client-supplied text so one huge bad line cannot flood the log. */
    static String abbreviate(String text) {
        return text.length() <= MAX_QUOTED ? text : text.substring(0, MAX_QUOTED) + "…";
    }
}
