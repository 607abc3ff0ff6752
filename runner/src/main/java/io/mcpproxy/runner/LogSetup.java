package io.mcpproxy.runner;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.OutputStreamAppender;
import org.slf4j.LoggerFactory;

/**
 * Applies {@code --log-format} to the stderr appender of {@code logback.xml}: JSON lines through Logback's own
 * {@link JsonEncoder} (timestamp, level, loggerName, message and formattedMessage, the MDC with transport, abbreviated session, method and
 * request id, and the access log's key-value pairs).
 */
final class LogSetup {

    private static final String APPENDER = "STDERR";

    private LogSetup() {
    }

    /** Writes the log lines that wait in a buffer (the access log's): the process is about to halt. */
    static void flush() {
        if (LoggerFactory.getILoggerFactory() instanceof LoggerContext context
                && context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).getAppender(APPENDER)
                        instanceof StderrAppender appender) {
            appender.flush();
        }
    }

    static void apply(OperationsSettings.LogFormat format) {
        if (format != OperationsSettings.LogFormat.JSON
                || !(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) {
            return; // text is logback.xml's own; another SLF4J binding (an embedder's) is left alone
        }
        Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        if (!(root.getAppender(APPENDER) instanceof OutputStreamAppender<ILoggingEvent> appender)) {
            return;
        }
        JsonEncoder encoder = new JsonEncoder();
        encoder.setContext(context);
        encoder.setWithSequenceNumber(false);
        encoder.setWithNanoseconds(false);
        encoder.setWithContext(false);
        encoder.setWithFormattedMessage(true); // "message" is the template (for grouping), this the line itself
        encoder.setWithArguments(false);
        encoder.start();
        appender.stop();
        appender.setEncoder(encoder);
        appender.start();
    }
}
