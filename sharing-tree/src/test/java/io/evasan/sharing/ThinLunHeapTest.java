package io.evasan.sharing;

import io.evasan.raid.ChildJvm;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 18 goal 1: a thin LUN costs heap for what it has allocated, not for its virtual size. A child JVM with a
 * 64 MB heap creates 650 thin LUNs of 2 TiB over the real pool, mapping and sharing tree (when a LUN cost
 * 10.5 MB, a 4 GB heap held 405 and this child would fail at the sixth) and reports the GC-settled heap growth
 * per LUN, which must stay within the 4 KB budget with a 2x margin (a structure sized by virtual size shows
 * as 1000x). The pool is on /dev/shm when there is one: every LUN create forces the MLD twice.
 */
class ThinLunHeapTest {
    static final long BUDGET = 4096;

    @Test
    void shouldCreate650ThinTwoTibLunsIn64MbOfHeapAtUnder4KbEach(@TempDir Path tmp) throws Exception {
        Path dir = fastDir(tmp);
        try (ChildJvm child = ChildJvm.of(ThinLunHeapChild.class).heap("64m")
                .args(dir.toString(), "50", "600").output(tmp.resolve("child.out")).mergeStderr().start()) {
            int rc = child.waitFor(120);
            List<String> lines = child.lines();
            assertEquals(0, rc, "child failed: " + lines);
            long perLun = value(lines, "HEAP_PER_LUN ");
            System.out.println("ThinLunHeapTest: heap per thin 2 TiB LUN " + perLun + " B (budget " + BUDGET + " B)");
            assertEquals(650, value(lines, "LUNS "));
            assertTrue(perLun <= 2 * BUDGET, "heap per thin 2 TiB LUN " + perLun + " B, budget " + BUDGET + " B");
        } finally {
            if (!dir.equals(tmp)) {
                deleteTree(dir);
            }
        }
    }

    private static long value(List<String> lines, String prefix) {
        return lines.stream().filter(l -> l.startsWith(prefix)).mapToLong(l -> Long.parseLong(l.substring(prefix.length())))
                .findFirst().orElseThrow(() -> new AssertionError("no " + prefix + "in " + lines));
    }

    /** A directory in memory (/dev/shm) when the machine has one, else {@code tmp}. */
    static Path fastDir(Path tmp) throws IOException {
        Path shm = Path.of("/dev/shm");
        if (Files.isDirectory(shm) && Files.isWritable(shm)) {
            return Files.createTempDirectory(shm, "evasan-thinheap");
        }
        return tmp;
    }

    static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
