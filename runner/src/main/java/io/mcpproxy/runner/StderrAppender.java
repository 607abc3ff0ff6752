package io.mcpproxy.runner;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.OutputStreamAppender;
import java.io.BufferedOutputStream;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * The runner's stderr appender: every line is written at once, except the lines of one logger (the access log)
 * which wait in a buffer for at most {@link #FLUSH_INTERVAL_MILLIS}.
 *
 * <p>A line per HTTP exchange written and flushed on its own costs a system call under the appender's lock on every
 * request; batched, the access log costs the proxy a copy into a buffer instead. Any other line flushes the buffer
 * with it, so lines keep their order on stderr and a warning is never late. The buffer holds whole lines only (a
 * line larger than what is left of it first flushes the rest), so lines never interleave with other writers.
 */
public final class StderrAppender extends OutputStreamAppender<ILoggingEvent> {

    /** The longest an access log line waits in the buffer. */
    static final long FLUSH_INTERVAL_MILLIS = 200;
    private static final int BUFFER_BYTES = 64 * 1024;

    private String batchedLogger;
    private ScheduledFuture<?> flusher;

    /** The logger whose lines are batched; none when unset. */
    public void setBatchedLogger(String name) {
        this.batchedLogger = name;
    }

    @Override
    public void start() {
        setOutputStream(new BufferedOutputStream(new UnclosableStderr(), BUFFER_BYTES));
        setImmediateFlush(false);
        super.start();
        if (batchedLogger != null && getContext() != null) {
            flusher = getContext().getScheduledExecutorService().scheduleWithFixedDelay(this::flush,
                    FLUSH_INTERVAL_MILLIS, FLUSH_INTERVAL_MILLIS, TimeUnit.MILLISECONDS);
        }
    }

    @Override
    public void stop() {
        if (flusher != null) {
            flusher.cancel(false);
            flusher = null;
        }
        flush();
        super.stop();
    }

    @Override
    protected void subAppend(ILoggingEvent event) {
        super.subAppend(event);
        if (!event.getLoggerName().equals(batchedLogger)) {
            flush();
        }
    }

    /** File descriptor 2, which outlives the appender: a stop (a new log format, say) must not close it. */
    private static final class UnclosableStderr extends FileOutputStream {
        UnclosableStderr() {
            super(FileDescriptor.err);
        }

        @Override
        public void close() {
            // stderr belongs to the process
        }
    }

    /** Writes what waits in the buffer. */
    void flush() {
        streamWriteLock.lock();
        try {
            if (getOutputStream() != null) {
                getOutputStream().flush();
            }
        } catch (IOException e) {
            addError("could not flush stderr", e);
        } finally {
            streamWriteLock.unlock();
        }
    }
}
