package io.mcpproxy.stdio.process;

import com.fasterxml.jackson.databind.JsonNode;
import io.mcpproxy.core.jsonrpc.JsonRpc;
import io.mcpproxy.core.jsonrpc.JsonRpcException;
import java.nio.charset.StandardCharsets;

/**
 * A stdout line that outgrew the message size limit, read past in constant memory. It keeps what routing needs to
 * tell someone: the top-level members the line names (is it an answer, a request, a notification?) and the value of
 * its top-level {@code id}, wherever in the line it comes (Python servers write it before the result, TypeScript
 * servers after).
 *
 * <p>The scanner follows JSON structure only as far as that takes: nesting depth outside strings, string and escape
 * state, and at depth 1 the member names and the {@code id} value, each kept up to a few hundred bytes.
 */
final class OversizedLine {

    private static final int KEPT = 256; // of a member name or an id value; real ones are far shorter

    private long length;
    private int depth;
    private boolean inString;
    private boolean escaped;
    private boolean expectingName; // at depth 1, before a member name
    private String member;         // at depth 1, the member whose value is being read
    private final StringBuilder token = new StringBuilder();
    private boolean capturingName;
    private boolean capturingId;
    private String rawId;
    private boolean answer;
    private boolean method;

    /** Reads the next bytes of the line (newline excluded). */
    void feed(byte[] bytes, int offset, int count) {
        length += count;
        for (int i = offset; i < offset + count; i++) {
            next((char) (bytes[i] & 0xff)); // ASCII is all the structure there is; UTF-8 continuation bytes pass
        }
    }

    long length() {
        return length;
    }

    /** The id to answer with an error: set when the line is an answer (result or error) with a usable id. */
    JsonNode answerId() {
        if (!answer || method || rawId == null) {
            return null;
        }
        try {
            JsonNode id = JsonRpc.parse(rawId.getBytes(StandardCharsets.UTF_8));
            return id.isIntegralNumber() || id.isTextual() ? id : null;
        } catch (JsonRpcException notAnId) {
            return null;
        }
    }

    /** Whether the line is a request or notification from the server. */
    boolean isServerMessage() {
        return method;
    }

    private void next(char c) {
        if (inString) {
            inString(c);
            return;
        }
        switch (c) {
            case '"' -> {
                inString = true;
                if (depth == 1 && expectingName) {
                    capturingName = true;
                    token.setLength(0);
                } else if (depth == 1 && "id".equals(member) && token.length() == 0) {
                    capturingId = true;
                    token.append('"');
                }
            }
            case '{', '[' -> {
                depth++;
                if (depth == 1) {
                    expectingName = c == '{';
                }
            }
            case '}', ']' -> {
                if (depth == 1) {
                    endOfValue();
                }
                depth--;
            }
            case ':' -> {
                if (depth == 1) {
                    expectingName = false;
                }
            }
            case ',' -> {
                if (depth == 1) {
                    endOfValue();
                    expectingName = true;
                }
            }
            default -> {
                if (depth == 1 && "id".equals(member) && !Character.isWhitespace(c)) {
                    capturingId = true; // a number (or null) runs until ',' or '}'
                    keep(c);
                }
            }
        }
    }

    private void inString(char c) {
        if (escaped) {
            escaped = false;
            keep(c);
        } else if (c == '\\') {
            escaped = true;
            keep(c);
        } else if (c == '"') {
            inString = false;
            if (capturingName) {
                capturingName = false;
                member = token.toString();
                token.setLength(0);
                answer |= member.equals("result") || member.equals("error");
                method |= member.equals("method");
            } else if (capturingId) {
                keep('"');
            }
        } else {
            keep(c);
        }
    }

    private void keep(char c) {
        if ((capturingName || capturingId) && token.length() < KEPT) {
            token.append(c);
        }
    }

    private void endOfValue() {
        if (capturingId) {
            rawId = token.toString().strip();
            capturingId = false;
        }
        token.setLength(0);
        member = null;
    }
}
