package io.mcpproxy.example;

/**
 * A small but real MCP server on the stdio transport: newline-delimited JSON-RPC 2.0 on stdin/stdout, logs on
 * stderr. It is the demo server behind the proxy and the child process of the proxy's integration tests.
 *
 * <h2>Running</h2>
 * <pre>java -cp example-server-0.1.0-SNAPSHOT.jar:jackson-databind.jar:jackson-core.jar:jackson-annotations.jar \
 *     io.mcpproxy.example.ExampleServer [--allow-reinitialize]</pre>
 * EOF on stdin ends the process with exit code 0.
 *
 * <h2>Protocol</h2>
 * <ul>
 *   <li>{@code initialize} answers with the client's protocol version if it is one of 2024-11-05, 2025-03-26,
 *       2025-06-18 or 2025-11-25, else 2025-11-25. A second {@code initialize} is refused with -32600
 *       "already initialized" unless started with {@code --allow-reinitialize}.</li>
 *   <li>{@code ping}, {@code logging/setLevel} (filters the {@code notifications/message} the server sends),
 *       {@code tools/list}, {@code tools/call}, {@code resources/list}, {@code resources/templates/list} (empty),
 *       {@code resources/read} (only {@code example://greeting}, else -32002), {@code resources/subscribe},
 *       {@code resources/unsubscribe} (any URI), {@code prompts/list}, {@code prompts/get} (prompt
 *       {@code greeting}, argument {@code name}). Anything else: -32601.</li>
 *   <li>Every request runs on its own worker thread, so a slow one never delays the others.
 *       {@code notifications/cancelled} interrupts the request and suppresses its response.
 *       {@code notifications/roots/list_changed} makes the server ask {@code roots/list} (see {@code known_roots}).</li>
 *   <li>Lines that are not JSON are logged and ignored; JSON that is not a valid JSON-RPC message gets -32600
 *       if it has a usable id, else is only logged.</li>
 * </ul>
 *
 * <h2>Tools</h2>
 * A failing tool (bad argument, client error, timeout) returns a result with {@code isError: true}; an unknown
 * tool name is a JSON-RPC error -32602 "Unknown tool: &lt;name&gt;".
 * <table>
 *   <caption>Tools</caption>
 *   <tr><th>name</th><th>arguments</th><th>result text / effect</th></tr>
 *   <tr><td>echo</td><td>text</td><td>the text</td></tr>
 *   <tr><td>slow</td><td>ms</td><td>"slept &lt;ms&gt; ms"; no response at all if cancelled</td></tr>
 *   <tr><td>progress</td><td>steps=3, delayMs=10</td><td>per step {@code notifications/progress} (with a
 *       progressToken) and {@code notifications/message}; then "done &lt;steps&gt; steps"</td></tr>
 *   <tr><td>sample</td><td>prompt</td><td>sends {@code sampling/createMessage}; "sampled: &lt;text&gt;"</td></tr>
 *   <tr><td>roots</td><td></td><td>sends {@code roots/list}; "roots: &lt;count&gt;"</td></tr>
 *   <tr><td>elicit</td><td>message</td><td>sends {@code elicitation/create};
 *       "elicited: &lt;action&gt; &lt;content JSON or null&gt;"</td></tr>
 *   <tr><td>crash</td><td>exitCode=3</td><td>halts the process with that code, no response</td></tr>
 *   <tr><td>notify_list_changed</td><td>kind=tools|resources|prompts</td>
 *       <td>sends {@code notifications/<kind>/list_changed}; "sent"</td></tr>
 *   <tr><td>update_resource</td><td>uri</td><td>sends {@code notifications/resources/updated} if subscribed;
 *       "updated &lt;uri&gt;" or "not subscribed &lt;uri&gt;"</td></tr>
 *   <tr><td>known_roots</td><td></td><td>the {@code roots} array (JSON) answered to the {@code roots/list} asked
 *       after the last {@code notifications/roots/list_changed}, "none asked yet", or why it failed</td></tr>
 *   <tr><td>cancelled</td><td></td><td>JSON array of the request ids seen in {@code notifications/cancelled}</td></tr>
 *   <tr><td>client</td><td></td><td>the params (JSON) of the initialize the server accepted: clientInfo,
 *       capabilities, _meta</td></tr>
 *   <tr><td>requests</td><td></td><td>JSON array of the methods of the requests received, in order</td></tr>
 *   <tr><td>garbage</td><td></td><td>writes the non-JSON line "this is not json" to stdout; "ok"</td></tr>
 *   <tr><td>pid</td><td></td><td>the process id</td></tr>
 * </table>
 * Server-to-client requests use ids {@code "srv-1"}, {@code "srv-2"}, … and wait up to 60 s for the answer.
 */
public final class ExampleServer {

    private ExampleServer() {
    }

    /** Builds the example server around the protocol writer. */
    static StdioServer create(Wire wire, boolean allowReinitialize) {
        ServerState state = new ServerState(allowReinitialize);
        OutgoingRequests outgoing = new OutgoingRequests(wire);
        Dispatcher dispatcher = new Dispatcher(state, new Tools(wire, outgoing, state));
        return new StdioServer(wire, state, outgoing, dispatcher::handle);
    }

    /**
     * Serves MCP on stdin/stdout until stdin ends, then exits with code 0.
     *
     * @param args {@code --allow-reinitialize} to accept repeated {@code initialize} requests
     */
    public static void main(String[] args) {
        boolean allowReinitialize = false;
        for (String arg : args) {
            if (arg.equals("--allow-reinitialize")) {
                allowReinitialize = true;
            } else {
                System.err.println("usage: java -cp <classpath> io.mcpproxy.example.ExampleServer [--allow-reinitialize]");
                System.exit(2);
            }
        }
        boolean reinitialize = allowReinitialize;
        StdioServer.serveStdioAndExit(reinitialize ? ", re-initialization allowed" : "",
                wire -> create(wire, reinitialize));
    }
}
