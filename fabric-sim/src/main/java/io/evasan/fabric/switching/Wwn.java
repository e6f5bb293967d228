package io.evasan.fabric.switching;

import java.util.HexFormat;

/** World wide names as 64-bit values, shown the usual way ({@code 10:00:00:00:c9:ab:cd:ef}). */
public final class Wwn {
    private Wwn() {
    }

    public static String format(long wwn) {
        String h = HexFormat.of().toHexDigits(wwn);
        StringBuilder s = new StringBuilder(23);
        for (int i = 0; i < 16; i += 2) {
            if (i > 0) {
                s.append(':');
            }
            s.append(h, i, i + 2);
        }
        return s.toString();
    }

    /** Parses 16 hex digits, with or without colons. */
    public static long parse(String s) {
        String h = s.replace(":", "");
        if (h.length() != 16) {
            throw new IllegalArgumentException("not a WWN: " + s);
        }
        return Long.parseUnsignedLong(h, 16);
    }
}
