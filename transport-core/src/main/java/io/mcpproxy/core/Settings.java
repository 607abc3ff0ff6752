package io.mcpproxy.core;

import java.time.Duration;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.Objects;
import java.util.Set;

/**
 * The checks the settings records share, so that a refusal reads the same whatever the option: "{@code <option>}
 * must be ..., got {@code <value>}". The option names are the builder setters' names.
 */
public final class Settings {

    private Settings() {
    }

    /** {@code value}, unless it is null or blank. */
    public static String requireText(String value, String option) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException(option + " must not be empty");
        }
        return value;
    }

    /** {@code value}, unless it is null or shorter than {@code minimum}. */
    public static Duration requireAtLeast(Duration value, Duration minimum, String option) {
        Objects.requireNonNull(value, option);
        if (value.compareTo(minimum) < 0) {
            throw new IllegalArgumentException(option + (minimum.isZero() ? " must not be negative"
                    : " must be at least " + describe(minimum)) + ", got " + value);
        }
        return value;
    }

    /** {@code value}, unless it is below {@code minimum}. */
    public static int requireAtLeast(int value, int minimum, String option) {
        if (value < minimum) {
            throw new IllegalArgumentException(option + " must be at least " + minimum + ", got " + value);
        }
        return value;
    }

    /** {@code value}, unless it is below {@code minimum}. */
    public static long requireAtLeast(long value, long minimum, String option) {
        if (value < minimum) {
            throw new IllegalArgumentException(option + " must be at least " + minimum + ", got " + value);
        }
        return value;
    }

    /** The elements of both, in order, without duplicates. */
    public static Set<String> union(Set<String> current, Collection<String> more) {
        Set<String> union = new LinkedHashSet<>(current);
        for (String value : Objects.requireNonNull(more, "values")) {
            union.add(requireText(value, "value"));
        }
        return union;
    }

    private static String describe(Duration duration) {
        return duration.toMillis() % 1000 == 0 ? duration.toSeconds() + " s" : duration.toMillis() + " ms";
    }
}
