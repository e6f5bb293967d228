package io.evasan.iscsi.login;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * iSCSI text key=value encoding (RFC 7143 section 6.1): UTF-8 {@code key=value} pairs, each
 * terminated by a NUL byte. Invariant: {@link #parse} never throws on any input; a pair without
 * '=' or with an over-long key is returned with a null value so the negotiator can answer it.
 */
public final class TextKeys {
    public static final int MAX_KEY = 63;
    public static final int MAX_VALUE = 8192;

    /** One key=value pair in arrival order; value null when malformed. */
    public record Pair(String key, String value) {
    }

    private TextKeys() {
    }

    public static List<Pair> parse(byte[] data, int off, int len) {
        List<Pair> out = new ArrayList<>();
        int i = off;
        int end = off + len;
        while (i < end) {
            int z = i;
            while (z < end && data[z] != 0) {
                z++;
            }
            if (z > i) {
                String s = new String(data, i, z - i, StandardCharsets.UTF_8);
                int eq = s.indexOf('=');
                if (eq <= 0 || eq > MAX_KEY || s.length() - eq - 1 > MAX_VALUE) {
                    out.add(new Pair(eq <= 0 ? s : s.substring(0, Math.min(eq, MAX_KEY + 1)), null));
                } else {
                    out.add(new Pair(s.substring(0, eq), s.substring(eq + 1)));
                }
            }
            i = z + 1;
        }
        return out;
    }

    public static List<Pair> parse(byte[] data) {
        return parse(data, 0, data.length);
    }

    /** Encodes pairs as key=value NUL ... */
    public static byte[] encode(List<Pair> pairs) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (Pair p : pairs) {
            byte[] k = (p.key() + "=" + p.value()).getBytes(StandardCharsets.UTF_8);
            b.write(k, 0, k.length);
            b.write(0);
        }
        return b.toByteArray();
    }

    /**
     * Parses a numerical value (decimal, 0x hex) in [min, max]; returns -1 when invalid.
     */
    public static long number(String v, long min, long max) {
        if (v == null || v.isEmpty() || v.length() > 20) {
            return -1;
        }
        try {
            long n;
            if (v.startsWith("0x") || v.startsWith("0X")) {
                n = Long.parseLong(v.substring(2), 16);
            } else {
                for (int i = 0; i < v.length(); i++) {
                    if (!Character.isDigit(v.charAt(i))) {
                        return -1;
                    }
                }
                n = Long.parseLong(v);
            }
            return n < min || n > max ? -1 : n;
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
