package io.mcpproxy.stdio.backend;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** Records what a client session receives: on its requests' exchanges and on its listener. */
final class Recorder implements Backend.Exchange, Backend.Listener {
    final BlockingQueue<ObjectNode> messages = new LinkedBlockingQueue<>();
    final BlockingQueue<ObjectNode> responses = new LinkedBlockingQueue<>();
    final BlockingQueue<ObjectNode> delivered = new LinkedBlockingQueue<>();
    final List<String> ended = new CopyOnWriteArrayList<>();
    volatile boolean streamGone; // like a POST whose client disconnected

    @Override
    public boolean onMessage(ObjectNode message) {
        if (streamGone) {
            return false;
        }
        messages.add(message);
        return true;
    }

    @Override
    public void onResponse(ObjectNode response) {
        responses.add(response);
    }

    @Override
    public boolean deliver(ObjectNode message) {
        if (streamGone) {
            return false;
        }
        delivered.add(message);
        return true;
    }

    @Override
    public void onEnded(String reason) {
        ended.add(reason);
    }

    /** The next response, waiting up to 5 s for it. */
    ObjectNode response() throws InterruptedException {
        ObjectNode response = responses.poll(5, TimeUnit.SECONDS);
        if (response == null) {
            throw new AssertionError("no response");
        }
        return response;
    }
}
