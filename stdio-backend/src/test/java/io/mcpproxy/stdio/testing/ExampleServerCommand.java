package io.mcpproxy.stdio.testing;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The command line that spawns the example stdio MCP server from this test's own classpath. */
public final class ExampleServerCommand {

    private ExampleServerCommand() {
    }

    public static List<String> commandLine(String... serverArgs) {
        String java = ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        List<String> command = new ArrayList<>(List.of(java, "-XX:TieredStopAtLevel=1", "-Xshare:auto",
                "-cp", System.getProperty("java.class.path"), "io.mcpproxy.example.ExampleServer"));
        command.addAll(List.of(serverArgs));
        return command;
    }
}
