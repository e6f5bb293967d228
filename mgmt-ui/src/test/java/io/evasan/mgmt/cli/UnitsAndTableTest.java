package io.evasan.mgmt.cli;

import org.junit.jupiter.api.Test;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Size and duration parsing/printing, and table layout. */
class UnitsAndTableTest {
    @Test
    void shouldParseSizesWithBinaryUnits() {
        assertEquals(1073741824L, Units.parseSize("1073741824"));
        assertEquals(512L << 20, Units.parseSize("512M"));
        assertEquals(10L << 30, Units.parseSize("10G"));
        assertEquals(10L << 30, Units.parseSize("10g"));
        assertEquals(10L << 30, Units.parseSize("10GiB"));
        assertEquals(10L << 30, Units.parseSize("10GB"));
        assertEquals(1L << 40, Units.parseSize("1T"));
        assertEquals(3L << 39, Units.parseSize("1.5T"));
        assertEquals(4096, Units.parseSize("4K"));
        assertEquals(2L << 50, Units.parseSize("2P"));
        for (String bad : new String[]{"", "G", "-1", "10X", "1.5", "0.3K", "1e3", "10 G G", "99999999999999999999", "9000P"}) {
            assertThrows(IllegalArgumentException.class, () -> Units.parseSize(bad), bad);
        }
    }

    @Test
    void shouldPrintSizesInTheLargestUnitReached() {
        assertEquals("0 B", Units.formatSize(0));
        assertEquals("512 B", Units.formatSize(512));
        assertEquals("1 KiB", Units.formatSize(1024));
        assertEquals("1.5 KiB", Units.formatSize(1536));
        assertEquals("96 MiB", Units.formatSize(96L << 20));
        assertEquals("10 GiB", Units.formatSize(10L << 30));
        assertEquals("2 TiB", Units.formatSize(2L << 40));
        assertEquals("7 EiB", Units.formatSize(7L << 60));
    }

    @Test
    void shouldRoundTripWholeSizesThroughTheirPrintedForm() {
        long seed = System.nanoTime();
        Random rnd = new Random(seed);
        for (int i = 0; i < 2000; i++) {
            int unit = rnd.nextInt(6);
            long n = 1 + rnd.nextInt(1023);
            long bytes = n << (10 * unit);
            String printed = Units.formatSize(bytes);
            String compact = printed.replace(" ", "").replace("iB", "").replace("B", "");
            assertEquals(bytes, Units.parseSize(compact), "seed " + seed + " step " + i + ": " + printed);
        }
    }

    @Test
    void shouldParseAndPrintDurations() {
        assertEquals(Duration.ofSeconds(90), Units.parseDuration("90"));
        assertEquals(Duration.ofSeconds(90), Units.parseDuration("90s"));
        assertEquals(Duration.ofMinutes(15), Units.parseDuration("15m"));
        assertEquals(Duration.ofHours(1), Units.parseDuration("1h"));
        assertEquals(Duration.ofDays(365), Units.parseDuration("365d"));
        assertThrows(IllegalArgumentException.class, () -> Units.parseDuration("1w"));
        assertThrows(IllegalArgumentException.class, () -> Units.parseDuration("1.5h"));
        assertEquals("1m30s", Units.formatSeconds(90));
        assertEquals("1h", Units.formatSeconds(3600));
        assertEquals("1d2h", Units.formatSeconds(93600));
        assertEquals("-", Units.formatTime(0));
        assertEquals("1970-01-01 00:00:01Z", Units.formatTime(1000));
        assertEquals("3/8 segments (37%)", Units.progress(3, 8, "segments"));
        assertEquals("0/0 (100%)", Units.progress(0, 0, null));
    }

    @Test
    void shouldAlignColumnsUnderTheirHeaders() {
        StringWriter w = new StringWriter();
        new Table("NAME", "SIZE>", "NOTE").row("a", "10 GiB", null).row("longer-name", "1 B", "x y").print(new PrintWriter(w, true), "none");
        assertEquals(String.join("\n",
                "NAME           SIZE  NOTE",
                "a            10 GiB  -",
                "longer-name     1 B  x y", ""), w.toString());
        StringWriter e = new StringWriter();
        new Table("A", "B").print(new PrintWriter(e, true), "nothing here");
        assertEquals("nothing here\n", e.toString());
        assertThrows(IllegalArgumentException.class, () -> new Table("A", "B").row("only one"));
        assertTrue(new Table("A").isEmpty());
    }
}
