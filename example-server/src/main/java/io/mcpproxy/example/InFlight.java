package io.mcpproxy.example;

/**
 * Cancellation handle of one client request. {@code notifications/cancelled} is read on the main thread while
 * the request runs on a worker, so cancelling means: remember it (the worker must then stay silent) and interrupt
 * the worker to cut short its sleep or its wait for the client. The lock guarantees the interrupt never hits a
 * pool thread that has already moved on to another request.
 */
final class InFlight {

    private Thread worker;
    private boolean cancelled;
    private boolean finished;

    /** Called by the worker before it starts handling the request. */
    synchronized void start(Thread thread) {
        worker = thread;
        if (cancelled) {
            thread.interrupt(); // cancelled while still queued: stop at the first blocking call
        }
    }

    /** Called by the reader thread when the client cancels this request. */
    synchronized void cancel() {
        cancelled = true;
        if (worker != null && !finished) {
            worker.interrupt();
        }
    }

    /**
     * Called by the worker when the handler returned. Clears a pending interrupt so it does not leak into the
     * next request served by this pool thread.
     *
     * @return true if the request was cancelled, i.e. no response may be sent
     */
    synchronized boolean finish() {
        finished = true;
        Thread.interrupted();
        return cancelled;
    }
}
