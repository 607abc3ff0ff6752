package io.mcpproxy.runner;

import io.mcpproxy.example.ExampleServer;
import io.mcpproxy.session.SessionStorageException;
import java.io.IOException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code java -jar mcp-proxy.jar <transport> [options] -- <stdio MCP server command...>} */
@Command(name = "mcp-proxy", mixinStandardHelpOptions = true, version = "mcp-proxy 0.1.0",
        description = "Puts MCP servers behind production HTTP transports.",
        subcommands = {ServeCommands.Streamable.class, ServeCommands.Sse.class, ServeCommands.Both.class,
                TransparentCommand.class, Main.ExampleServerCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {

    public static void main(String[] args) {
        int exit = commandLine().execute(args);
        if (exit != 0) {
            System.exit(exit);
        }
    }

    /** The runner's command line, ready to execute. */
    static CommandLine commandLine() {
        return new CommandLine(new Main()).setCaseInsensitiveEnumValuesAllowed(true)
                .setExecutionExceptionHandler(Main::startupFailure);
    }

    /**
     * A proxy that cannot start for a reason outside the runner (Redis unreachable, the port taken) is one clear
     * line on stderr and exit code 1, without a stack trace; anything else is reported as picocli does.
     */
    private static int startupFailure(Exception failure, CommandLine command, CommandLine.ParseResult parsed)
            throws Exception {
        if (failure instanceof SessionStorageException || failure instanceof IOException) {
            command.getErr().println("mcp-proxy: cannot start: " + failure.getMessage());
            command.getErr().flush();
            return 1;
        }
        throw failure;
    }

    @Override
    public void run() {
        CommandLine.usage(this, System.out);
    }

    /** The bundled example stdio MCP server, so the proxy can be tried without Node or Python. */
    @Command(name = "example-server", mixinStandardHelpOptions = true,
            description = "Runs the bundled example MCP server on stdin/stdout (a stdio server to put behind the proxy).")
    static final class ExampleServerCommand implements Runnable {
        @Override
        public void run() {
            try {
                ExampleServer.main(new String[0]);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
    }
}
