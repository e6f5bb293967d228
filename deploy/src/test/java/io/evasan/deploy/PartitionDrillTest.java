package io.evasan.deploy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link PartitionDrill}: the bus is cut exactly while the stated end lies ahead; anything else cuts nothing. */
class PartitionDrillTest {
    @TempDir
    Path cell;

    @Test
    void shouldCutExactlyUntilTheStatedEnd() throws Exception {
        AtomicLong now = new AtomicLong(1_000_000);
        PartitionDrill d = new PartitionDrill(cell, now::get);
        assertFalse(d.cutNow(), "no file, no cut");
        PartitionDrill.cut(cell, 6_000, now.get());
        assertEquals(1_006_000, d.cutUntil());
        now.set(1_005_999);
        assertTrue(d.cutNow());
        now.set(1_006_000);
        assertFalse(d.cutNow(), "healed at the stated end");
        assertFalse(Files.exists(cell.resolve(PartitionDrill.FILE + ".tmp")), "renamed into place");
    }

    @Test
    void shouldCutNothingForAnUnreadableStatement() throws Exception {
        PartitionDrill d = new PartitionDrill(cell, () -> 0);
        for (String text : new String[] {"", "soon\n", "12 34\n", "2147483647x"}) {
            Files.writeString(cell.resolve(PartitionDrill.FILE), text);
            assertFalse(d.cutNow(), "\"" + text + "\"");
        }
        Files.writeString(cell.resolve(PartitionDrill.FILE), " 42 \n");
        assertEquals(42, d.cutUntil(), "surrounding blanks are fine");
    }

    @Test
    void shouldRefuseANonPositiveSpan() {
        assertThrows(IllegalArgumentException.class, () -> PartitionDrill.cut(cell, 0, 1));
        assertFalse(Files.exists(cell.resolve(PartitionDrill.FILE)), "nothing stated");
    }
}
