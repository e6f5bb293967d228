package io.evasan.deploy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link StandbyWarmup}: the leader's path runs on a scratch cell of its own, which leaves nothing behind. */
class StandbyWarmupTest {
    @TempDir
    Path cell;

    private static Set<Path> scratchDirs() throws Exception {
        try (Stream<Path> s = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
            return s.filter(p -> p.getFileName().toString().startsWith("evasan-warmup-")).collect(Collectors.toSet());
        }
    }

    @Test
    void shouldRunTheLeadersPathOnAScratchCellAndLeaveNothingBehind() throws Exception {
        Set<Path> before = scratchDirs();
        long ms = StandbyWarmup.run(EmbeddedAppliance.Options.forTest(cell));
        assertTrue(ms > 0, "it ran: " + ms + " ms");
        assertEquals(before, scratchDirs(), "its scratch directory is deleted");
        try (Stream<Path> s = Files.list(cell)) {
            assertEquals(0, s.count(), "the cell's own directory is untouched");
        }
    }
}
