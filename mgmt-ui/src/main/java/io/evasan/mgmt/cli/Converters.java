package io.evasan.mgmt.cli;

import picocli.CommandLine;

import java.time.Duration;

/** picocli converters: a value that does not parse is a usage error (exit 2) naming the problem. */
final class Converters {
    private Converters() {
    }

    /** Sizes: {@code 10G}, {@code 512M}, {@code 1T}, bytes (see {@link Units#parseSize}). */
    static final class SizeArg implements CommandLine.ITypeConverter<Long> {
        @Override
        public Long convert(String value) {
            try {
                return Units.parseSize(value);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.TypeConversionException(e.getMessage());
            }
        }
    }

    /** Durations: {@code 90}, {@code 90s}, {@code 15m}, {@code 1h}, {@code 1d} (see {@link Units#parseDuration}). */
    static final class DurationArg implements CommandLine.ITypeConverter<Duration> {
        @Override
        public Duration convert(String value) {
            try {
                Duration d = Units.parseDuration(value);
                if (d.isZero()) {
                    throw new CommandLine.TypeConversionException("'" + value + "' must be longer than 0 s");
                }
                return d;
            } catch (IllegalArgumentException e) {
                throw new CommandLine.TypeConversionException(e.getMessage());
            }
        }
    }
}
