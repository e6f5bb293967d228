package io.evasan.mapping;

import io.evasan.mapping.l2map.L2Map;
import io.evasan.mapping.support.TestPools;
import io.evasan.raid.Pool;
import io.evasan.raid.rstore.RaidLevel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** {@link LogicalDisk#nextEntry} / {@link L2Map#nextNonZero}: the walk over mapped segments sees each one, in order. */
class NextEntryTest {
    static final long MB = 1 << 20;

    @Test
    void shouldVisitExactlyTheNonZeroEntriesAcrossAbsentLmaps() {
        Random rnd = new Random(18);
        L2Map map = new L2Map();
        TreeSet<Long> set = new TreeSet<>();
        for (int i = 0; i < 300; i++) {
            long s = rnd.nextInt(L2Map.MAX_REGIONS) * (long) L2Map.LMAP_ENTRIES + rnd.nextInt(L2Map.LMAP_ENTRIES);
            map.set(s, 8 + i);
            set.add(s);
        }
        for (int i = 0; i < 100; i++) {   // cleared entries (and LMAPs dropped when empty) are not seen
            long s = set.pollFirst();
            map.set(s, 0);
        }
        List<Long> walked = new ArrayList<>();
        for (long s = map.nextNonZero(0); s >= 0; s = map.nextNonZero(s + 1)) {
            walked.add(s);
        }
        assertEquals(new ArrayList<>(set), walked);
        assertEquals(-1, map.nextNonZero((long) L2Map.MAX_REGIONS * L2Map.LMAP_ENTRIES));
    }

    @Test
    void shouldWalkTheWrittenSegmentsOfAThinTwoTibLun(@TempDir Path dir) {
        try (Pool pool = TestPools.openOrCreate(dir.resolve("pool"), 1, 64);
             Mapping m = Mappings.open(pool, dir.resolve("state"), MappingOptions.defaults())) {
            LogicalDisk d = m.create("thin", Mapping.MAX_LUN_BYTES, RaidLevel.RAID0);
            assertEquals(-1, d.nextEntry(0));
            long[] written = {3, 2048, 1_000_000, d.segments() - 1};
            for (long s : written) {
                d.write(s * MB, ByteBuffer.allocate(512));
            }
            List<Long> walked = new ArrayList<>();
            for (long s = d.nextEntry(0); s >= 0; s = d.nextEntry(s + 1)) {
                walked.add(s);
            }
            assertEquals(List.of(3L, 2048L, 1_000_000L, d.segments() - 1), walked);
            assertEquals(2048L, d.nextEntry(4));
        }
    }
}
