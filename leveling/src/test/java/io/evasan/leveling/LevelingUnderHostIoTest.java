package io.evasan.leveling;

import io.evasan.leveling.api.LevelingState;
import io.evasan.raid.DiskGroup;
import io.evasan.raid.DriveSpec;
import io.evasan.raid.Pool;
import io.evasan.raid.Pools;
import io.evasan.raid.rstore.RStore;
import io.evasan.raid.rstore.RaidLevel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static io.evasan.leveling.LevelingTestSupport.MIB;
import static io.evasan.leveling.LevelingTestSupport.SIZE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Real concurrency: host writer threads (one per RStore, so each oracle is exact) write while the background
 * job levels the group; every acknowledged write reads back afterwards. Covers the unlocked RAID0 write path
 * racing the start and the commit of a move.
 */
class LevelingUnderHostIoTest {
    @TempDir
    Path dir;

    @Test
    void shouldKeepEveryConcurrentHostWriteWhileLeveling() throws Exception {
        long seed = LevelingTestSupport.seed("LevelingUnderHostIoTest");
        try (Pool pool = Pools.create(dir, LevelingTestSupport.drives(8, 64 * MIB))) {
            DiskGroup g = pool.diskGroups().get(0);
            List<RStore> stores = new ArrayList<>();
            List<byte[]> oracles = new ArrayList<>();
            for (RaidLevel level : new RaidLevel[] {RaidLevel.RAID0, RaidLevel.RAID0, RaidLevel.RAID0, RaidLevel.RAID5,
                RaidLevel.RAID5, RaidLevel.RAID1}) {
                stores.add(g.allocate(level));
                oracles.add(new byte[SIZE]);
            }
            for (int i = 8; i < 12; i++) {
                g.addDrive(DriveSpec.file(String.format("drives/d%02d.img", i), 64 * MIB));
            }
            AtomicReference<Throwable> failure = new AtomicReference<>();
            AtomicLong writes = new AtomicLong();
            try (Leveler lv = new Leveler(g, new Throttle(0))) {
                List<Thread> writers = new ArrayList<>();
                for (int w = 0; w < stores.size(); w++) {
                    RStore s = stores.get(w);
                    byte[] o = oracles.get(w);
                    Random rnd = new Random(seed + w);
                    Thread t = new Thread(() -> {
                        try {
                            while (lv.state() == LevelingState.IDLE || lv.state() == LevelingState.RUNNING) {
                                LevelingTestSupport.randomWrite(s, o, rnd);
                                writes.incrementAndGet();
                            }
                        } catch (Throwable e) {
                            failure.set(e);
                        }
                    }, "host-writer-" + w);
                    t.start();
                    writers.add(t);
                }
                lv.start();
                assertTrue(lv.await(5, TimeUnit.MINUTES), lv.toString());
                for (Thread t : writers) {
                    t.join();
                }
                assertNull(failure.get());
                assertEquals(LevelingState.BALANCED, lv.state(), lv + " " + lv.lastError());
                System.out.println("[leveling] " + lv + " under " + writes.get() + " host writes");
            }
            for (int w = 0; w < stores.size(); w++) {
                LevelingTestSupport.assertContents(oracles.get(w), stores.get(w), "after leveling under host I/O");
            }
            LevelingTestSupport.assertPsegAccounting(g);
        }
    }
}
