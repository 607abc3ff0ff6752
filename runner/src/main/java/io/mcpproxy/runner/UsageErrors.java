package io.mcpproxy.runner;

import java.util.function.Supplier;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;

/**
 * Values the settings records refuse, reported as what they are: usage errors (the record's own words, the usage
 * hint, exit code 2), the same refusal a builder gives.
 */
final class UsageErrors {

    private UsageErrors() {
    }

    /** The result of {@code configure}, or a usage error for the value it refused. */
    static <T> T refusedAsUsage(CommandSpec spec, Supplier<T> configure) {
        try {
            return configure.get();
        } catch (IllegalArgumentException | IllegalStateException refused) {
            throw new CommandLine.ParameterException(spec.commandLine(), refused.getMessage(), refused);
        }
    }
}
