package io.mcpproxy.runner;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/** {@code promtool check metrics} on a scrape, when promtool is installed (Debian package {@code prometheus}). */
final class PromtoolCheck {

    private PromtoolCheck() {
    }

    static boolean installed() {
        try {
            Process which = new ProcessBuilder("promtool", "--version").redirectErrorStream(true).start();
            which.getInputStream().readAllBytes();
            return which.waitFor(10, TimeUnit.SECONDS) && which.exitValue() == 0;
        } catch (java.io.IOException absent) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Fails when promtool finds a problem in {@code scrape}; does nothing without promtool. */
    static void assertValid(String scrape, Path dir) throws Exception {
        if (!installed()) {
            return;
        }
        Path file = Files.writeString(dir.resolve("scrape.txt"), scrape);
        Process check = new ProcessBuilder("promtool", "check", "metrics").redirectInput(file.toFile())
                .redirectErrorStream(true).start();
        String output = new String(check.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        Assumptions.assumeTrue(check.waitFor(30, TimeUnit.SECONDS), "promtool did not finish");
        assertEquals(0, check.exitValue(), "promtool check metrics:\n" + output);
    }
}
