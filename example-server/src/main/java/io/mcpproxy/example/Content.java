package io.mcpproxy.example;

import com.fasterxml.jackson.databind.node.ObjectNode;

/** Builders for MCP content items, and the tiny binary samples the conformance server hands out. */
final class Content {

    /** A 1×1 opaque PNG (generated for this project), base64. */
    static final String PNG_1X1 =
            "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mOQizrxHwAEGgJABquGqQAAAABJRU5ErkJggg==";
    /** A WAV file of four silent 16-bit mono samples at 8 kHz (generated for this project), base64. */
    static final String WAV_SILENCE =
            "UklGRiwAAABXQVZFZm10IBAAAAABAAEAQB8AAIA+AAACABAAZGF0YQgAAAAAAAAAAAAAAA==";

    private Content() {
    }

    static ObjectNode text(String text) {
        return Wire.object().put("type", "text").put("text", text);
    }

    static ObjectNode image(String base64, String mimeType) {
        return Wire.object().put("type", "image").put("data", base64).put("mimeType", mimeType);
    }

    static ObjectNode audio(String base64, String mimeType) {
        return Wire.object().put("type", "audio").put("data", base64).put("mimeType", mimeType);
    }

    /** An embedded text resource ({@code type: "resource"}). */
    static ObjectNode resource(String uri, String mimeType, String text) {
        ObjectNode item = Wire.object().put("type", "resource");
        item.putObject("resource").put("uri", uri).put("mimeType", mimeType).put("text", text);
        return item;
    }

    /** A prompt message of the user role. */
    static ObjectNode userMessage(ObjectNode content) {
        ObjectNode message = Wire.object().put("role", "user");
        message.set("content", content);
        return message;
    }
}
