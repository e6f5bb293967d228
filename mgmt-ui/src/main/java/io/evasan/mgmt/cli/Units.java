package io.evasan.mgmt.cli;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parsing and printing of the quantities sanctl handles: byte sizes with binary units
 * ({@code 512M}, {@code 10G}, {@code 1.5T}, plain bytes), durations ({@code 90}, {@code 15m},
 * {@code 1h}, {@code 1d}) and times. Invariant: {@code parseSize(formatSize(n))} is exact whenever
 * {@code formatSize} printed no fraction; parsing never rounds (a size that is not a whole number of
 * bytes is refused).
 */
public final class Units {
    private static final String[] SIZE_UNITS = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    private static final Pattern SIZE = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*([kKmMgGtTpP]?)(?:i?[bB])?");
    private static final Pattern DURATION = Pattern.compile("(\\d+)\\s*([smhdSMHD]?)");
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss'Z'").withZone(ZoneOffset.UTC);

    private Units() {
    }

    /**
     * A byte count from {@code text}: a number with an optional binary unit K, M, G, T, P
     * (optionally followed by {@code iB} or {@code B}; all are powers of 1024). Plain numbers are bytes.
     *
     * @throws IllegalArgumentException with a message for the user when the text is not a whole byte count
     */
    public static long parseSize(String text) {
        Matcher m = SIZE.matcher(text == null ? "" : text.trim());
        if (!m.matches()) {
            throw new IllegalArgumentException("'" + text + "' is not a size (examples: 1073741824, 512M, 10G, 1T)");
        }
        int shift = switch (m.group(2).toUpperCase(Locale.ROOT)) {
            case "" -> 0;
            case "K" -> 10;
            case "M" -> 20;
            case "G" -> 30;
            case "T" -> 40;
            default -> 50;
        };
        BigDecimal v = new BigDecimal(m.group(1)).multiply(BigDecimal.valueOf(2).pow(shift));
        try {
            BigDecimal whole = v.stripTrailingZeros();
            if (whole.scale() > 0) {
                throw new IllegalArgumentException("'" + text + "' is not a whole number of bytes");
            }
            return whole.longValueExact();
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("'" + text + "' is too large");
        }
    }

    /** {@code bytes} in the largest binary unit it reaches, one decimal when not whole: "10 GiB", "1.5 MiB", "512 B". */
    public static String formatSize(long bytes) {
        if (bytes < 0) {
            return "-" + formatSize(-bytes);
        }
        int u = 0;
        while (u + 1 < SIZE_UNITS.length && bytes >= (1L << (10 * (u + 1)))) {
            u++;
        }
        if (u == 0) {
            return bytes + " B";
        }
        long unit = 1L << (10 * u);
        if (bytes % unit == 0) {
            return (bytes / unit) + " " + SIZE_UNITS[u];
        }
        return String.format(Locale.ROOT, "%.1f %s", (double) bytes / unit, SIZE_UNITS[u]);
    }

    /**
     * A duration from {@code text}: a whole number with an optional unit s, m, h or d (no unit = seconds).
     *
     * @throws IllegalArgumentException with a message for the user
     */
    public static Duration parseDuration(String text) {
        Matcher m = DURATION.matcher(text == null ? "" : text.trim());
        if (!m.matches()) {
            throw new IllegalArgumentException("'" + text + "' is not a duration (examples: 90, 90s, 15m, 1h, 1d)");
        }
        long n;
        try {
            n = Long.parseLong(m.group(1));
            return switch (m.group(2).toLowerCase(Locale.ROOT)) {
                case "", "s" -> Duration.ofSeconds(n);
                case "m" -> Duration.ofMinutes(n);
                case "h" -> Duration.ofHours(n);
                default -> Duration.ofDays(n);
            };
        } catch (NumberFormatException | ArithmeticException e) {
            throw new IllegalArgumentException("'" + text + "' is too large");
        }
    }

    /** Seconds as a compact duration: "90s" → "1m30s", 3600 → "1h", 86400 → "1d". */
    public static String formatSeconds(long seconds) {
        if (seconds <= 0) {
            return seconds + "s";
        }
        StringBuilder b = new StringBuilder();
        long[] sizes = {86400, 3600, 60, 1};
        String[] names = {"d", "h", "m", "s"};
        long left = seconds;
        for (int i = 0; i < sizes.length; i++) {
            if (left >= sizes[i]) {
                b.append(left / sizes[i]).append(names[i]);
                left %= sizes[i];
            }
        }
        return b.toString();
    }

    /** Epoch milliseconds as "yyyy-MM-dd HH:mm:ssZ" (UTC); 0 or negative = "-". */
    public static String formatTime(long millis) {
        return millis <= 0 ? "-" : TIME.format(Instant.ofEpochMilli(millis));
    }

    /** "done/total unit (p%)"; the percentage is rounded down, 100% for an empty job. */
    public static String progress(long done, long total, String unit) {
        long pct = total <= 0 ? 100 : Math.min(100, done * 100 / total);
        return done + "/" + total + (unit == null || unit.isEmpty() ? "" : " " + unit) + " (" + pct + "%)";
    }
}
