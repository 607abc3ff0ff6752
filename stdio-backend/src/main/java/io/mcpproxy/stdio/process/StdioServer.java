package io.mcpproxy.stdio.process;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Stream;

/**
 * How to reach an MCP server over stdio: a command the proxy spawns (and may respawn), or a stdin/stdout pair
 * handed in by the embedding application (e.g. an attached container), which cannot be restarted.
 */
public abstract sealed class StdioServer permits StdioServer.Command, StdioServer.Streams {

    private final String name;

    private StdioServer(String name) {
        this.name = Objects.requireNonNull(name, "name");
    }

    /** Used in thread names and as the prefix of the server's stderr lines in the log. */
    public String name() {
        return name;
    }

    /** Whether a dead connection can be replaced by a new one. */
    public abstract boolean restartable();

    /** Default bound of one message (one stdout line) from the server: 64 MiB. */
    public static final long DEFAULT_MAX_MESSAGE_BYTES = 64L * 1024 * 1024;

    /**
     * Opens a conversation: spawns the process, or attaches the handed-in streams (once). Messages from the server
     * may be up to {@link #DEFAULT_MAX_MESSAGE_BYTES}.
     *
     * @throws IOException when the process cannot be started or the streams were used already
     */
    public StdioConnection connect(StdioConnection.Listener listener) throws IOException {
        return connect(listener, DEFAULT_MAX_MESSAGE_BYTES);
    }

    /**
     * Opens a conversation whose server messages (stdout lines) may be up to {@code maxMessageBytes}; a longer line
     * is read past without being kept, and if it answered a request, that request gets an error answer instead.
     *
     * @throws IOException when the process cannot be started or the streams were used already
     */
    public abstract StdioConnection connect(StdioConnection.Listener listener, long maxMessageBytes)
            throws IOException;

    /** A process to spawn: {@code command} with its arguments, optional environment additions and directory. */
    public static Command command(List<String> commandLine) {
        return new Command(commandLine, Map.of(), null);
    }

    /** A stdin/stdout pair the caller owns the other end of; used once, never restarted. */
    public static Streams streams(String name, InputStream serverStdout, OutputStream serverStdin) {
        return new Streams(name, serverStdout, serverStdin);
    }

    /** A spawned process. */
    public static final class Command extends StdioServer {

        /** {@code setsid} (util-linux), or null where there is none. */
        private static final String SETSID = Stream.of("/usr/bin/setsid", "/bin/setsid")
                .filter(path -> Files.isExecutable(Path.of(path))).findFirst().orElse(null);
        private final List<String> commandLine;
        private final Map<String, String> environment;
        private final Path directory;

        private Command(List<String> commandLine, Map<String, String> environment, Path directory) {
            super(nameOf(commandLine));
            this.commandLine = List.copyOf(commandLine);
            this.environment = Map.copyOf(environment);
            this.directory = directory;
        }

        private static String nameOf(List<String> commandLine) {
            if (commandLine == null || commandLine.isEmpty() || commandLine.get(0).isBlank()) {
                throw new IllegalArgumentException("the MCP server command must not be empty");
            }
            String program = commandLine.get(0);
            return program.substring(program.lastIndexOf('/') + 1);
        }

        /** This command with {@code variables} added to the inherited environment. */
        public Command withEnvironment(Map<String, String> variables) {
            Map<String, String> merged = new LinkedHashMap<>(environment);
            merged.putAll(variables);
            return new Command(commandLine, merged, directory);
        }

        /** This command run in {@code workingDirectory}. */
        public Command inDirectory(Path workingDirectory) {
            return new Command(commandLine, environment, Objects.requireNonNull(workingDirectory));
        }

        public List<String> commandLine() {
            return commandLine;
        }

        /**
         * The command started in a session of its own where {@code setsid} exists (Linux): a terminal's Ctrl-C goes
         * to the whole foreground process group, and would kill the server at once, failing the requests the proxy
         * is about to drain. Out of the group, only the proxy gets the signal; it drains, then stops the server by
         * closing its stdin. {@code setsid} replaces itself with the server (no extra process, same pid).
         */
        private static List<String> inOwnSession(List<String> commandLine) {
            List<String> command = new ArrayList<>(commandLine.size() + 1);
            if (SETSID != null) {
                command.add(SETSID);
            }
            command.addAll(commandLine);
            return command;
        }

        @Override
        public boolean restartable() {
            return true;
        }

        @Override
        public StdioConnection connect(StdioConnection.Listener listener, long maxMessageBytes) throws IOException {
            ProcessBuilder builder = new ProcessBuilder(inOwnSession(commandLine));
            builder.environment().putAll(environment);
            if (directory != null) {
                builder.directory(directory.toFile());
            }
            Process process = builder.start();
            return StdioConnection.start(name(), process.getInputStream(), process.getOutputStream(),
                    process.getErrorStream(), process, listener, maxMessageBytes);
        }

        @Override
        public String toString() {
            return String.join(" ", commandLine);
        }
    }

    /** A handed-in stream pair. */
    public static final class Streams extends StdioServer {
        private final InputStream serverStdout;
        private final OutputStream serverStdin;
        private boolean used;

        private Streams(String name, InputStream serverStdout, OutputStream serverStdin) {
            super(name);
            this.serverStdout = Objects.requireNonNull(serverStdout, "serverStdout");
            this.serverStdin = Objects.requireNonNull(serverStdin, "serverStdin");
        }

        @Override
        public boolean restartable() {
            return false;
        }

        @Override
        public synchronized StdioConnection connect(StdioConnection.Listener listener, long maxMessageBytes)
                throws IOException {
            if (used) {
                throw new IOException("the handed-in streams of '" + name() + "' are closed and cannot be reopened");
            }
            used = true;
            return StdioConnection.start(name(), serverStdout, serverStdin, null, null, listener, maxMessageBytes);
        }

        @Override
        public String toString() {
            return "streams of " + name();
        }
    }
}
