package io.mcpproxy.runner;

import io.mcpproxy.core.Settings;
import java.util.Locale;
import java.util.Objects;

/**
 * How the runner is operated: the admin listener ({@code /metrics}, {@code /healthz}, {@code /readyz}) and the logs.
 *
 * @param adminHost address the admin listener binds
 * @param adminPort its port; -1 = no admin listener (the default), 0 = any free port
 * @param logFormat how log lines look on stderr
 * @param accessLog whether every HTTP exchange gets a line, through the logger {@value AccessLog#LOGGER}
 */
record OperationsSettings(String adminHost, int adminPort, LogFormat logFormat, boolean accessLog) {

    /** Log lines: plain text, or one JSON object per line (for a log pipeline). */
    enum LogFormat {
        TEXT, JSON;

        static LogFormat of(String name) {
            for (LogFormat format : values()) {
                if (format.name().equalsIgnoreCase(name)) {
                    return format;
                }
            }
            throw new IllegalArgumentException("log format must be text or json, got '" + name + "'");
        }

        @Override
        public String toString() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    static final OperationsSettings DEFAULTS = new OperationsSettings("127.0.0.1", -1, LogFormat.TEXT, false);

    OperationsSettings {
        Settings.requireText(adminHost, "admin host");
        if (adminPort < -1 || adminPort > 65_535) {
            throw new IllegalArgumentException("admin port must be 0-65535, got " + adminPort);
        }
        Objects.requireNonNull(logFormat, "logFormat");
    }

    boolean adminListener() {
        return adminPort >= 0;
    }

    OperationsSettings withAdmin(String host, Integer port) {
        return new OperationsSettings(host == null ? adminHost : host, port == null ? -1 : port, logFormat,
                accessLog);
    }

    OperationsSettings withLogs(String format, boolean access) {
        return new OperationsSettings(adminHost, adminPort, format == null ? logFormat : LogFormat.of(format),
                access);
    }
}
