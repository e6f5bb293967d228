package io.evasan.leveling;

import io.evasan.leveling.api.LevelingState;
import io.evasan.raid.DiskGroup;
import io.evasan.raid.DriveSpec;
import io.evasan.raid.Pool;
import io.evasan.raid.Pools;
import io.evasan.raid.drive.DriveInfo;
import io.evasan.raid.rstore.RStore;
import io.evasan.raid.rstore.RaidLevel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static io.evasan.leveling.LevelingTestSupport.MIB;
import static io.evasan.leveling.LevelingTestSupport.SIZE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * End state: after 4 larger drives join an 8-drive group holding RAID0, RAID1 and RAID5 data (one RSS of 12),
 * leveling leaves every drive within one PSEG per RAID level of its capacity-proportional share, RAID1 pairs
 * on paired slots, every byte intact, and the same after reopen.
 */
class LevelingEndStateTest {
    @TempDir
    Path dir;

    @Test
    void shouldLevelAGroupAfterFourDrivesAreAddedAndKeepEveryByte() throws Exception {
        Random rnd = new Random(LevelingTestSupport.seed("LevelingEndStateTest"));
        Map<Long, byte[]> oracle = new LinkedHashMap<>();
        try (Pool pool = Pools.create(dir, LevelingTestSupport.drives(8, 64 * MIB))) {
            DiskGroup g = pool.diskGroups().get(0);
            RaidLevel[] levels = {RaidLevel.RAID5, RaidLevel.RAID5, RaidLevel.RAID5, RaidLevel.RAID5, RaidLevel.RAID5,
                RaidLevel.RAID5, RaidLevel.RAID1, RaidLevel.RAID1, RaidLevel.RAID1, RaidLevel.RAID0, RaidLevel.RAID0,
                RaidLevel.RAID0, RaidLevel.RAID0};
            for (RaidLevel level : levels) {
                RStore s = g.allocate(level);
                byte[] o = new byte[SIZE];
                for (int i = 0; i < 8; i++) {
                    LevelingTestSupport.randomWrite(s, o, rnd);
                }
                oracle.put(s.rsdId(), o);
            }
            for (int i = 8; i < 12; i++) {
                g.addDrive(DriveSpec.file(String.format("drives/d%02d.img", i), 96 * MIB));
            }
            assertEquals(1, g.rssSlots().size(), "the new drives joined the one RSS");
            double before = ProportionalShare.worst(GroupLayout.of(g));
            assertTrue(before > 1, "unlevelled before: worst deviation " + before);

            long t0 = System.nanoTime();
            try (Leveler lv = new Leveler(g, new Throttle(0)).start()) {
                assertTrue(lv.await(5, TimeUnit.MINUTES), lv.toString());
                long levelNs = System.nanoTime() - t0;
                System.out.println("[leveling] " + lv + "; worst deviation " + before + " -> "
                        + ProportionalShare.worst(GroupLayout.of(g)));
                long rawNs = rawCopy(dir.resolve("drives/d00.img"), dir.resolve("copy.img"), lv.bytesMoved());
                System.out.printf("[leveling] figure (indicative, shared machine): leveling %.1f MB/s, raw file copy"
                        + " of the same bytes %.1f MB/s%n", lv.bytesMoved() * 1e3 / levelNs,
                        lv.bytesMoved() * 1e3 / rawNs);
                assertEquals(LevelingState.BALANCED, lv.state(), lv + " " + lv.lastError());
                assertTrue(lv.movesDone() > 0);
                assertEquals(lv.movesPlanned(), lv.movesDone() + 0, "every planned move done");
                assertEquals(lv.bytesPlanned(), lv.bytesMoved());
                assertTrue(lv.bytesMoved() >= lv.movesDone() * 2 * MIB);
            }
            checkEndState(g, oracle);
        }
        try (Pool pool = Pools.open(dir)) {
            checkEndState(pool.diskGroups().get(0), oracle);
        }
    }

    /** Copies {@code bytes} from {@code from} to a new file in 64 KiB chunks with a final force; nanoseconds. */
    private static long rawCopy(Path from, Path to, long bytes) throws java.io.IOException {
        long t0 = System.nanoTime();
        try (java.nio.channels.FileChannel in = java.nio.channels.FileChannel.open(from);
             java.nio.channels.FileChannel out = java.nio.channels.FileChannel.open(to,
                     java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.WRITE)) {
            java.nio.ByteBuffer b = java.nio.ByteBuffer.allocateDirect(64 * 1024);
            for (long at = 0; at < bytes; at += b.capacity()) {
                b.clear();
                in.read(b, (16L << 20) + at % (32L << 20));
                b.flip();
                out.write(b, at);
            }
            out.force(false);
        }
        return System.nanoTime() - t0;
    }

    private static void checkEndState(DiskGroup g, Map<Long, byte[]> oracle) {
        assertTrue(ProportionalShare.balanced(GroupLayout.of(g)),
                "worst deviation " + ProportionalShare.worst(GroupLayout.of(g)));
        for (DriveInfo d : g.drives()) {
            if (d.index() >= 8) {
                assertTrue(d.usedPsegs() > 0, "added drive " + d.index() + " holds data");
            }
        }
        LevelingTestSupport.assertPsegAccounting(g);
        LevelingTestSupport.assertPairsOnPairedSlots(g);
        for (Map.Entry<Long, byte[]> e : oracle.entrySet()) {
            LevelingTestSupport.assertContents(e.getValue(), g.rstore(e.getKey()), "after leveling");
        }
    }
}
